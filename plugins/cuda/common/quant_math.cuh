// Writing a real onto an integer grid on the device, as docs/quantization.md and the reference pack do it:
// round half to even, add the zero point, saturate to the integer type's range; NaN gives 0 (the reference's
// saturate_cast). The INT8 kernels (Quantize/DequantizeLinear, pooling, the INT8 convolution's epilogue) share it.
#ifndef KILN_CUDA_QUANT_MATH_CUH
#define KILN_CUDA_QUANT_MATH_CUH

#include <cuda_runtime.h>

#include <cstdint>

namespace kiln::cuda {

// The range of an 8-bit integer type as floats (exact).
template <class Q> struct QuantRange;
template <> struct QuantRange<int8_t> {
  static constexpr float kMin = -128.0f, kMax = 127.0f;
};
template <> struct QuantRange<uint8_t> {
  static constexpr float kMin = 0.0f, kMax = 255.0f;
};

// saturate(round_half_even(x) + zero_point) in Q. F is float or double: the precision the quotient x was
// computed in (rint rounds half to even in the default rounding mode).
template <class Q, class F>
__device__ __forceinline__ Q saturate_round(F x, int32_t zero_point) {
  if (x != x) return Q(0);
  F r = rint(x) + static_cast<F>(zero_point);
  r = r < static_cast<F>(QuantRange<Q>::kMin) ? static_cast<F>(QuantRange<Q>::kMin) : r;
  r = r > static_cast<F>(QuantRange<Q>::kMax) ? static_cast<F>(QuantRange<Q>::kMax) : r;
  return static_cast<Q>(static_cast<int>(r));
}

// The real an integer stands for: (q - zero_point) * scale, the subtraction and the product each in float, as
// the reference's DequantizeLinear computes it.
template <class Q>
__device__ __forceinline__ float dequantized(Q q, float scale, float zero_point) {
  return (static_cast<float>(q) - zero_point) * scale;
}

}  // namespace kiln::cuda

#endif  // KILN_CUDA_QUANT_MATH_CUH
