// Seeded random draws for case generators: integers, choices, shapes and tensors of any numeric dtype.
#ifndef KILN_CHECK_DRAW_HPP
#define KILN_CHECK_DRAW_HPP

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ir/tensor.hpp"

namespace kiln::check {

class Draw {
 public:
  explicit Draw(uint64_t seed) : rng_(seed) {}

  int64_t integer(int64_t lo, int64_t hi);  // uniform in [lo, hi]
  double real(double lo, double hi);        // uniform in [lo, hi)
  bool chance(double p);                    // true with probability p
  template <class T> const T& pick(const std::vector<T>& options) {
    return options[static_cast<size_t>(integer(0, static_cast<int64_t>(options.size()) - 1))];
  }
  // `rank` dims, each in [lo, hi].
  std::vector<int64_t> dims(int rank, int64_t lo, int64_t hi);
  // A random permutation of 0..n-1.
  std::vector<int64_t> permutation(int n);

  // A tensor with values uniform in [lo, hi], rounded to the dtype (integers: whole numbers clamped to the
  // dtype's range; bool: 0 or 1).
  Tensor tensor(DataType dtype, std::vector<int64_t> dims, double lo, double hi);

 private:
  std::mt19937_64 rng_;
};

// A seed for one case of one kernel, so that a case is drawn alike whatever ran before it.
uint64_t case_seed(uint64_t seed, const std::string& kernel, int index);

}  // namespace kiln::check

#endif  // KILN_CHECK_DRAW_HPP
