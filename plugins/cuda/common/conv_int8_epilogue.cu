#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "common/conv_int8_epilogue.hpp"
#include "common/cuda_check.hpp"
#include "common/elementwise_types.cuh"
#include "common/quant_math.cuh"

namespace kiln::cuda {

namespace {

// The epilogue without a residual (a type for the template below).
struct NoResidual {};

// Where element i of Y (counted in N, H, W, C order) sits in the sums, in Y and in the residual.
struct Geometry {
  int64_t count, c, h, w, sums_c;
  int64_t y_strides[4], r_strides[4];
};

// The real a residual element stands for.
template <class R>
__device__ __forceinline__ float residual_real(R v, float scale, int32_t zero) {
  if constexpr (std::is_same_v<R, int8_t>) return dequantized(v, scale, static_cast<float>(zero));
  else return elementwise::to_float(v);
}

template <class Y>
__device__ __forceinline__ Y written(float real, float scale, int32_t zero) {
  if constexpr (std::is_same_v<Y, int8_t>) return saturate_round<int8_t>(real / scale, zero);
  else return elementwise::from_float<Y>(real);
}

template <class Y, class R>
__global__ void conv_int8_epilogue_kernel(const float* sums, const float* multiplier, const float* bias, const R* residual,
                                          float r_scale, int32_t r_zero, float lo, float hi, Y* y, float y_scale,
                                          int32_t y_zero, Geometry g) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < g.count; i += step) {
    int64_t rest = i;
    const int64_t c = rest % g.c;
    rest /= g.c;
    const int64_t w = rest % g.w;
    rest /= g.w;
    const int64_t h = rest % g.h, n = rest / g.h;
    float real = sums[((n * g.h + h) * g.w + w) * g.sums_c + c] * multiplier[c];
    if (bias) real += bias[c];
    if constexpr (!std::is_same_v<R, NoResidual>)
      real += residual_real(residual[n * g.r_strides[0] + c * g.r_strides[1] + h * g.r_strides[2] + w * g.r_strides[3]],
                            r_scale, r_zero);
    real = elementwise::std_min(elementwise::std_max(real, lo), hi);  // the reference's Relu/Clip, NaN kept
    y[n * g.y_strides[0] + c * g.y_strides[1] + h * g.y_strides[2] + w * g.y_strides[3]] = written<Y>(real, y_scale, y_zero);
  }
}

template <class Y, class R>
void launch_typed(const ConvInt8Epilogue& e, const Geometry& g, cudaStream_t stream) {
  constexpr int kThreads = 256;
  const auto blocks = static_cast<unsigned>(std::min<int64_t>((g.count + kThreads - 1) / kThreads, int64_t{1} << 20));
  conv_int8_epilogue_kernel<Y, R><<<blocks, kThreads, 0, stream>>>(
      e.sums, e.multiplier, e.bias, static_cast<const R*>(e.residual.data), e.residual.scale, e.residual.zero_point, e.lo,
      e.hi, static_cast<Y*>(e.y.data), e.y.scale, e.y.zero_point, g);
  KILN_CUDA_LAUNCHED();
}

// Calls fn(T{}) with the device type of an epilogue tensor's dtype (NoResidual for an absent one).
template <class Fn>
void dispatch_epilogue(kiln_dtype dtype, Fn&& fn) {
  switch (dtype) {
    case KILN_DTYPE_UNDEFINED: return fn(NoResidual{});
    case KILN_DTYPE_INT8: return fn(int8_t{});
    case KILN_DTYPE_FLOAT32: return fn(float{});
    case KILN_DTYPE_FLOAT16: return fn(__half{});
    default: fail_unsupported(std::string("the INT8 convolution's epilogue does not take ") + dtype_name(dtype));
  }
}

}  // namespace

void launch_conv_int8_epilogue(const ConvInt8Epilogue& e, cudaStream_t stream) {
  Geometry g{};
  g.count = e.y.dims.count();
  if (g.count == 0) return;
  g.c = e.y.dims.dims[1], g.h = e.y.dims.dims[2], g.w = e.y.dims.dims[3];
  g.sums_c = e.sums_channels;
  if (g.sums_c < g.c) fail_invalid("the INT8 convolution's epilogue has fewer sums than Y has channels");
  for (int i = 0; i < 4; ++i) g.y_strides[i] = e.y.dims.strides[i], g.r_strides[i] = e.residual.dims.strides[i];
  dispatch_epilogue(e.y.dtype, [&](auto y_tag) {
    using Y = decltype(y_tag);
    if constexpr (std::is_same_v<Y, NoResidual>) {
      fail_invalid("the INT8 convolution's epilogue has no Y");
    } else {
      dispatch_epilogue(e.residual.dtype, [&](auto r_tag) { launch_typed<Y, decltype(r_tag)>(e, g, stream); });
    }
  });
}

}  // namespace kiln::cuda
