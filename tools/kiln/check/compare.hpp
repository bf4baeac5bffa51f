// Comparing a checked kernel's output with the reference's, in float64, with a tolerance that depends on the
// dtype: the worst error found and where it is.
#ifndef KILN_CHECK_COMPARE_HPP
#define KILN_CHECK_COMPARE_HPP

#include <string>

#include "ir/tensor.hpp"

namespace kiln::check {

// An element passes when |actual - expected| <= relative * max(|expected|, floor), or, for integer outputs,
// when it is within `steps` whole numbers (0: exact). NaN matches NaN, an infinity the same infinity.
struct Tolerance {
  double relative = 0;
  double steps = 0;
  double floor = 1;  // an INT8 kernel's float output: its largest |value| (error follows the terms' size)
  std::string describe() const;  // "1e-04 x max(|expected|, 1)", "exact", "1 integer step"
};

// float32 1e-4, float16 1e-2, bfloat16 3e-2, float64 1e-9 (each times `scale`, for ops that sum many terms);
// integers and bools exact, except int8/uint8 outputs of a quantized kernel (one step: a tie may round either
// way).
Tolerance tolerance_for(DataType dtype, bool quantized_kernel, double scale);

struct Comparison {
  bool ok = true;
  std::string problem;     // a dtype or shape mismatch, which no tolerance covers
  double worst_abs = 0;    // max |actual - expected|
  double worst_rel = 0;    // max |actual - expected| / max(|expected|, 1)
  int64_t worst_at = -1;   // flat index of the element furthest beyond (or nearest to) its tolerance
  double actual = 0, expected = 0;  // the values there
};

Comparison compare(const Tensor& actual, const Tensor& expected, const Tolerance& tolerance);

// "[0,1,2,3]": a flat row-major index as per-dim indices.
std::string index_in(const std::vector<int64_t>& dims, int64_t flat);

}  // namespace kiln::check

#endif  // KILN_CHECK_COMPARE_HPP
