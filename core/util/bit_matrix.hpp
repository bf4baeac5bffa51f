// A square matrix of bits stored row by row in 64-bit words: row r is a set of column indices. Reachability
// (HappensBefore) and buffer conflicts (the memory planner) are dense relations over up to a few thousand
// items, where a bit per pair is both the smallest and the fastest representation.
#ifndef KILN_CORE_BIT_MATRIX_HPP
#define KILN_CORE_BIT_MATRIX_HPP

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln {

class BitMatrix {
 public:
  explicit BitMatrix(size_t size = 0)
      : size_(size), words_per_row_((size + 63) / 64), words_(size * words_per_row_, 0) {}

  size_t size() const { return size_; }
  bool test(size_t row, size_t column) const {
    return (words_[row * words_per_row_ + column / 64] >> (column % 64)) & 1U;
  }
  void set(size_t row, size_t column) { words_[row * words_per_row_ + column / 64] |= uint64_t{1} << (column % 64); }
  // row |= other_row: how a layer inherits the ancestors of each of its predecessors.
  void merge_row(size_t row, size_t other_row) {
    uint64_t* into = &words_[row * words_per_row_];
    const uint64_t* from = &words_[other_row * words_per_row_];
    for (size_t w = 0; w < words_per_row_; ++w) into[w] |= from[w];
  }

 private:
  size_t size_;
  size_t words_per_row_;
  std::vector<uint64_t> words_;
};

}  // namespace kiln

#endif  // KILN_CORE_BIT_MATRIX_HPP
