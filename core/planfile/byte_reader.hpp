// A bounded little-endian reader over a plan file's bytes. Every read checks that its bytes lie before the
// current limit (the end of the file or of the section being read) before touching or allocating anything,
// and every failure is a kiln::Error naming the file, what was being read and where:
//   "model.plan: truncated: node 12 ('conv1') attribute 'pads' ints needs 32 bytes at offset 4096 but the
//    file ends at 4000"
#ifndef KILN_CORE_PLAN_BYTE_READER_HPP
#define KILN_CORE_PLAN_BYTE_READER_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace planfile {

class ByteReader {
 public:
  // `bytes` must outlive the reader; `source` names it in messages.
  ByteReader(const std::string& bytes, std::string source);

  size_t offset() const { return offset_; }
  size_t remaining() const { return limit_ - offset_; }

  uint8_t u8(const char* field);
  uint32_t u32(const char* field);
  uint64_t u64(const char* field);
  int32_t i32(const char* field) { return static_cast<int32_t>(u32(field)); }
  int64_t i64(const char* field) { return static_cast<int64_t>(u64(field)); }
  float f32(const char* field);
  std::string string(const char* field);  // u32 length + bytes
  std::vector<uint8_t> bytes(uint64_t size, const char* field);
  // A u32 count of items, refused when they cannot fit in what is left, so a hostile count never reserves
  // memory the file does not back: items of `item_bytes` each, or records of at least `min_record_bytes`.
  uint32_t count(const char* field, size_t item_bytes);
  uint32_t record_count(const char* field, size_t min_record_bytes);
  // Skips to `offset` over bytes that must be zero (alignment padding).
  void zeros_to(size_t offset, const char* field);

  // Reads up to `end` (an absolute offset within the current limit) until the Limit is destroyed; messages
  // then say where `what` ends instead of where the file does.
  class Limit {
   public:
    Limit(ByteReader& reader, size_t end, std::string what);
    ~Limit();
    Limit(const Limit&) = delete;
    Limit& operator=(const Limit&) = delete;

   private:
    ByteReader& reader_;
    size_t saved_limit_;
    std::string saved_what_;
  };

  // Names what is being read ("node 12 ('conv1')", "attribute 'pads'") until destroyed; nested Contexts join
  // with spaces. set() renames it, e.g. once a record's name has been read.
  class Context {
   public:
    Context(ByteReader& reader, const std::string& text);
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
    void set(const std::string& text);

   private:
    ByteReader& reader_;
    size_t saved_size_;
  };

  // Throws "<source>: <context>: <message>".
  [[noreturn]] void fail(const std::string& message) const;
  // Throws "<source>: <context> <field>: <message>".
  [[noreturn]] void fail(const char* field, const std::string& message) const;

 private:
  // The next `size` bytes, after checking they are there.
  const unsigned char* take(uint64_t size, const char* field);
  uint32_t checked_count(const char* field, size_t item_bytes, const char* needs);
  [[noreturn]] void truncated(const char* field, const char* needs, uint64_t size) const;

  const std::string& bytes_;
  std::string source_;
  size_t offset_ = 0;
  size_t limit_;
  std::string limit_what_ = "the file";
  std::string context_;
};

}  // namespace planfile
}  // namespace kiln

#endif  // KILN_CORE_PLAN_BYTE_READER_HPP
