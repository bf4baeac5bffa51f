#include "planfile/byte_writer.hpp"

#include <cstring>

#include "util/error.hpp"

namespace kiln {
namespace planfile {

void ByteWriter::u32(uint32_t value) {
  for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(value >> (8 * i)));
}

void ByteWriter::u64(uint64_t value) {
  for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(value >> (8 * i)));
}

void ByteWriter::f32(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  u32(bits);
}

void ByteWriter::count(size_t n) {
  if (n > UINT32_MAX) throw Error("plan writer: " + std::to_string(n) + " items do not fit a u32 count");
  u32(static_cast<uint32_t>(n));
}

void ByteWriter::string(const std::string& value) {
  count(value.size());
  raw(value.data(), value.size());
}

void ByteWriter::raw(const void* data, size_t size) {
  if (size > 0) bytes_.append(static_cast<const char*>(data), size);
}

void ByteWriter::pad_to(size_t alignment) { bytes_.resize((bytes_.size() + alignment - 1) / alignment * alignment); }

void ByteWriter::patch_u64(size_t offset, uint64_t value) {
  for (int i = 0; i < 8; ++i) bytes_[offset + i] = static_cast<char>(static_cast<uint8_t>(value >> (8 * i)));
}

size_t ByteWriter::begin_section(uint32_t tag) {
  u32(tag);
  const size_t begin = size();
  u64(0);
  return begin;
}

void ByteWriter::end_section(size_t begin) { patch_u64(begin, size() - begin - 8); }

}  // namespace planfile
}  // namespace kiln
