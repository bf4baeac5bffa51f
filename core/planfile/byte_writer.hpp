// Builds a plan file's bytes in memory: little-endian fixed-width integers, length-prefixed strings, zero
// padding to an alignment, and section frames whose length is patched in once the section is complete.
#ifndef KILN_CORE_PLAN_BYTE_WRITER_HPP
#define KILN_CORE_PLAN_BYTE_WRITER_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace planfile {

class ByteWriter {
 public:
  size_t size() const { return bytes_.size(); }
  std::string& bytes() { return bytes_; }

  void u8(uint8_t value) { bytes_.push_back(static_cast<char>(value)); }
  void u32(uint32_t value);
  void u64(uint64_t value);
  void i32(int32_t value) { u32(static_cast<uint32_t>(value)); }
  void i64(int64_t value) { u64(static_cast<uint64_t>(value)); }
  void f32(float value);
  // A u32 count or length; more than 4G items can only be a bug upstream, so it throws rather than wrap.
  void count(size_t n);
  void string(const std::string& value);  // u32 length + bytes
  void raw(const void* data, size_t size);
  void raw(const std::vector<uint8_t>& data) { raw(data.data(), data.size()); }
  // Zero bytes up to the next multiple of `alignment` (counted from the start of the file).
  void pad_to(size_t alignment);
  // Overwrites 8 bytes at `offset` (already written).
  void patch_u64(size_t offset, uint64_t value);

  // Writes a section's tag and a placeholder length; end_section fills in the length.
  size_t begin_section(uint32_t tag);
  void end_section(size_t begin);

 private:
  std::string bytes_;
};

}  // namespace planfile
}  // namespace kiln

#endif  // KILN_CORE_PLAN_BYTE_WRITER_HPP
