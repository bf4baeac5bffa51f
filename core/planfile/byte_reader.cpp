#include "planfile/byte_reader.hpp"

#include <algorithm>
#include <cstring>

#include "util/error.hpp"

namespace kiln {
namespace planfile {

ByteReader::ByteReader(const std::string& bytes, std::string source)
    : bytes_(bytes), source_(std::move(source)), limit_(bytes.size()) {}

void ByteReader::truncated(const char* field, const char* needs, uint64_t size) const {
  const std::string where = context_.empty() ? field : context_ + " " + field;
  throw Error(source_ + ": truncated: " + where + " " + needs + " " + std::to_string(size) + " bytes at offset " +
              std::to_string(offset_) + " but " + limit_what_ + " ends at " + std::to_string(limit_));
}

const unsigned char* ByteReader::take(uint64_t size, const char* field) {
  if (size > remaining()) truncated(field, "needs", size);
  const auto* at = reinterpret_cast<const unsigned char*>(bytes_.data()) + offset_;
  offset_ += static_cast<size_t>(size);
  return at;
}

uint8_t ByteReader::u8(const char* field) { return *take(1, field); }

uint32_t ByteReader::u32(const char* field) {
  const unsigned char* p = take(4, field);
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

uint64_t ByteReader::u64(const char* field) {
  const unsigned char* p = take(8, field);
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | p[i];
  return value;
}

float ByteReader::f32(const char* field) {
  const uint32_t bits = u32(field);
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

std::string ByteReader::string(const char* field) {
  const uint32_t size = u32(field);
  const unsigned char* p = take(size, field);
  return std::string(reinterpret_cast<const char*>(p), size);
}

std::vector<uint8_t> ByteReader::bytes(uint64_t size, const char* field) {
  const unsigned char* p = take(size, field);
  return std::vector<uint8_t>(p, p + size);
}

uint32_t ByteReader::checked_count(const char* field, size_t item_bytes, const char* needs) {
  const uint32_t n = u32(field);
  if (item_bytes > 0 && n > remaining() / item_bytes) truncated(field, needs, n * uint64_t{item_bytes});
  return n;
}

uint32_t ByteReader::count(const char* field, size_t item_bytes) { return checked_count(field, item_bytes, "needs"); }

uint32_t ByteReader::record_count(const char* field, size_t min_record_bytes) {
  return checked_count(field, min_record_bytes, "needs at least");
}

void ByteReader::zeros_to(size_t offset, const char* field) {
  if (offset < offset_)
    fail(field, "offset " + std::to_string(offset) + " is behind the read position " + std::to_string(offset_));
  const size_t start = offset_;
  const unsigned char* p = take(offset - offset_, field);
  for (size_t i = 0; i < offset - start; ++i) {
    if (p[i] != 0) fail(field, "padding byte at offset " + std::to_string(start + i) + " is not zero");
  }
}

void ByteReader::fail(const std::string& message) const {
  throw Error(source_ + ": " + (context_.empty() ? "" : context_ + ": ") + message);
}

void ByteReader::fail(const char* field, const std::string& message) const {
  throw Error(source_ + ": " + (context_.empty() ? "" : context_ + " ") + field + ": " + message);
}

ByteReader::Limit::Limit(ByteReader& reader, size_t end, std::string what)
    : reader_(reader), saved_limit_(reader.limit_), saved_what_(std::move(reader.limit_what_)) {
  // Callers check `end` against remaining() first; clamping keeps a slip from reading outside the old limit.
  reader_.limit_ = std::min(std::max(end, reader.offset_), saved_limit_);
  reader_.limit_what_ = std::move(what);
}

ByteReader::Limit::~Limit() {
  reader_.limit_ = saved_limit_;
  reader_.limit_what_ = std::move(saved_what_);
}

ByteReader::Context::Context(ByteReader& reader, const std::string& text)
    : reader_(reader), saved_size_(reader.context_.size()) {
  set(text);
}

ByteReader::Context::~Context() { reader_.context_.resize(saved_size_); }

void ByteReader::Context::set(const std::string& text) {
  reader_.context_.resize(saved_size_);
  if (saved_size_ > 0) reader_.context_ += ' ';
  reader_.context_ += text;
}

}  // namespace planfile
}  // namespace kiln
