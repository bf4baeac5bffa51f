// The bytes a fast kernel's prepared state becomes in a plan file (kiln_kernel_desc.serialize), and back.
//
// Layout: a header (the tag "kcpufast", the format version, and the panel sizes kMR, kNR, kKC the packing used),
// then each item in the order the kernel writes it: packed operands (side, rows, cols, floats) and float vectors
// (count, floats), all little-endian as the machine stores them. A reader checks the header, that every count fits
// in what is left, and at the end that every byte was read: a plan written by another build of the pack, or cut
// short, is refused with a message instead of being misread.
#ifndef KILN_CPU_FAST_PACKED_IO_HPP
#define KILN_CPU_FAST_PACKED_IO_HPP

#include <cstring>
#include <string>
#include <vector>

#include "common/sgemm.hpp"
#include "kiln/plugin.hpp"

namespace kiln::cpu_fast {

constexpr char kStateTag[8] = {'k', 'c', 'p', 'u', 'f', 'a', 's', 't'};
constexpr int64_t kStateVersion = 1;

class StateWriter {
 public:
  StateWriter() {
    bytes_.insert(bytes_.end(), kStateTag, kStateTag + sizeof kStateTag);
    for (int64_t v : {kStateVersion, kMR, kNR, kKC}) put(v);
  }
  void put(int64_t v) { append(&v, sizeof v); }
  void put(const std::vector<float>& v) {
    put(static_cast<int64_t>(v.size()));
    append(v.data(), v.size() * sizeof(float));
  }
  void put(const PackedMatrix& m) {
    put(static_cast<int64_t>(m.side));
    put(m.rows);
    put(m.cols);
    put(m.data);
  }
  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  void append(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  std::vector<uint8_t> bytes_;
};

class StateReader {
 public:
  StateReader(const uint8_t* bytes, size_t length, std::string what) : p_(bytes), left_(length), what_(std::move(what)) {
    if (left_ < sizeof kStateTag || std::memcmp(p_, kStateTag, sizeof kStateTag) != 0)
      fail_invalid(what_ + ": the plan's state is not a kiln.cpu_fast state");
    skip(sizeof kStateTag);
    const int64_t version = int_value(), mr = int_value(), nr = int_value(), kc = int_value();
    if (version != kStateVersion || mr != kMR || nr != kNR || kc != kKC)
      fail_invalid(what_ + ": the plan's state was packed by another build of kiln.cpu_fast (format " +
                   std::to_string(version) + ", panels " + std::to_string(mr) + "x" + std::to_string(nr) + "x" +
                   std::to_string(kc) + "; this build: " + std::to_string(kStateVersion) + ", " + std::to_string(kMR) +
                   "x" + std::to_string(kNR) + "x" + std::to_string(kKC) + "); rebuild the plan");
  }
  int64_t int_value() {
    int64_t v = 0;
    read(&v, sizeof v);
    return v;
  }
  std::vector<float> floats() {
    const int64_t count = int_value();
    if (count < 0 || static_cast<uint64_t>(count) > left_ / sizeof(float)) fail_invalid(what_ + ": the plan's state is cut short");
    std::vector<float> v(static_cast<size_t>(count));
    read(v.data(), v.size() * sizeof(float));
    return v;
  }
  PackedMatrix packed(Side side, int64_t rows, int64_t cols) {
    PackedMatrix m;
    m.side = static_cast<Side>(int_value());
    m.rows = int_value();
    m.cols = int_value();
    m.data = floats();
    if (m.side != side || m.rows != rows || m.cols != cols ||
        static_cast<int64_t>(m.data.size()) != PackedMatrix::size(side, rows, cols))
      fail_invalid(what_ + ": the plan's packed operand does not match the node (" + std::to_string(m.rows) + "x" +
                   std::to_string(m.cols) + ", expected " + std::to_string(rows) + "x" + std::to_string(cols) + ")");
    return m;
  }
  // Call after the last item: every byte must have been read.
  void finish() const {
    if (left_ != 0) fail_invalid(what_ + ": the plan's state has " + std::to_string(left_) + " bytes more than the kernel reads");
  }

 private:
  void read(void* out, size_t n) {
    if (n > left_) fail_invalid(what_ + ": the plan's state is cut short");
    if (n) std::memcpy(out, p_, n);
    skip(n);
  }
  void skip(size_t n) { p_ += n, left_ -= n; }
  const uint8_t* p_;
  size_t left_;
  std::string what_;
};

// The state of a kernel whose prepared data is a list of packed operands (Gemm's and MatMul's constant B; empty
// when B is computed at run time).
inline std::vector<uint8_t> packed_list_state(const std::vector<PackedMatrix>& list) {
  StateWriter out;
  out.put(static_cast<int64_t>(list.size()));
  for (const PackedMatrix& m : list) out.put(m);
  return out.take();
}

}  // namespace kiln::cpu_fast

#endif  // KILN_CPU_FAST_PACKED_IO_HPP
