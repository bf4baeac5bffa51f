// Reading and writing one element of a host tensor of any numeric dtype as a double, so that tools (output
// summaries, conformance comparisons, `kiln plugin check`) need no switch on the dtype at every use.
#ifndef KILN_CORE_ELEMENT_VALUES_HPP
#define KILN_CORE_ELEMENT_VALUES_HPP

#include <cstdint>

#include "ir/tensor.hpp"

namespace kiln {

// Element i (row-major over the logical dims) of a dense tensor, widened to double (bool: 0 or 1). Throws
// kiln::Error for a dtype it cannot read (string).
double element_at(const Tensor& t, int64_t i);
// Stores `value` at element i, converted as a static_cast would (rounded to nearest for 16-bit floats).
void set_element(Tensor& t, int64_t i, double value);

bool is_real(DataType dtype);  // float16, bfloat16, float32, float64

// A dense copy of a (maybe strided) tensor.
Tensor dense_copy(const Tensor& t);

}  // namespace kiln

#endif  // KILN_CORE_ELEMENT_VALUES_HPP
