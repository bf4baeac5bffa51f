// The ONNX backend-test rule: floating-point outputs within rtol=1e-3, atol=1e-7 (numpy.allclose, NaN equal
// to NaN), everything else exactly; dtype and shape must match.
#ifndef KILN_CONFORMANCE_COMPARE_HPP
#define KILN_CONFORMANCE_COMPARE_HPP

#include <string>

#include "ir/tensor.hpp"

namespace kiln::conformance {

// "" when `actual` matches `expected`, else what differs (first mismatching index, values, worst error).
std::string compare(const Tensor& actual, const Tensor& expected, double rtol = 1e-3, double atol = 1e-7);

}  // namespace kiln::conformance

#endif  // KILN_CONFORMANCE_COMPARE_HPP
