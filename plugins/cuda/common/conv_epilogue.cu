#include <cuda_fp16.h>

#include <algorithm>

#include "common/conv_epilogue.hpp"
#include "common/cuda_check.hpp"
#include "common/elementwise_types.cuh"

namespace kiln::cuda {

namespace {

// float16 is computed in float: elementwise::to_float / from_float (common/elementwise_types.cuh).
using elementwise::from_float;
using elementwise::to_float;

// Where element i (in Y's memory order) sits: its channel and its offsets in Y and the residual.
struct EpilogueGeometry {
  int64_t count, n, c, h, w;
  int64_t y_strides[4], z_strides[4];
  bool channels_last;  // Y's memory order is N, H, W, C (else N, C, H, W)
  bool flat;           // Y is dense and the residual has its strides: offsets are i itself
};

template <class T>
__global__ void conv_epilogue_kernel(T* y, const T* residual, const float* bias, EpilogueGeometry g, bool relu) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < g.count; i += step) {
    int64_t n, c, h, w, rest = i;
    if (g.channels_last) {
      c = rest % g.c, rest /= g.c;
      w = rest % g.w, rest /= g.w;
      h = rest % g.h, n = rest / g.h;
    } else {
      w = rest % g.w, rest /= g.w;
      h = rest % g.h, rest /= g.h;
      c = rest % g.c, n = rest / g.c;
    }
    const int64_t y_at = g.flat ? i : n * g.y_strides[0] + c * g.y_strides[1] + h * g.y_strides[2] + w * g.y_strides[3];
    float v = to_float(y[y_at]);
    if (bias) v += bias[c];
    if (residual) {
      const int64_t z_at = g.flat ? i : n * g.z_strides[0] + c * g.z_strides[1] + h * g.z_strides[2] + w * g.z_strides[3];
      v += to_float(residual[z_at]);
    }
    if (relu) v = fmaxf(v, 0.0f);
    y[y_at] = from_float<T>(v);
  }
}

EpilogueGeometry geometry_of(const ConvEpilogue& e) {
  EpilogueGeometry g{};
  const ImageDims& y = e.y_dims;
  g.count = y.count();
  g.n = y.dims[0], g.c = y.dims[1], g.h = y.dims[2], g.w = y.dims[3];
  g.channels_last = y.is(KILN_LAYOUT_NHWC) || (!y.is(KILN_LAYOUT_LINEAR) && y.strides[1] < y.strides[3]);
  for (int i = 0; i < 4; ++i) g.y_strides[i] = y.strides[i], g.z_strides[i] = e.residual_dims.strides[i];
  const bool dense = y.is(g.channels_last ? KILN_LAYOUT_NHWC : KILN_LAYOUT_LINEAR);
  g.flat = dense && (!e.residual || e.residual_dims.strides == y.strides);
  return g;
}

}  // namespace

void launch_conv_epilogue(const ConvEpilogue& e, cudaStream_t stream) {
  if (!e.needed() || e.y_dims.count() == 0) return;
  const EpilogueGeometry g = geometry_of(e);
  constexpr int kThreads = 256;
  const int64_t blocks = std::min<int64_t>((g.count + kThreads - 1) / kThreads, int64_t{1} << 20);
  if (e.dtype == KILN_DTYPE_FLOAT16)
    conv_epilogue_kernel<__half><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
        static_cast<__half*>(e.y), static_cast<const __half*>(e.residual), e.bias, g, e.relu);
  else
    conv_epilogue_kernel<float><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
        static_cast<float*>(e.y), static_cast<const float*>(e.residual), e.bias, g, e.relu);
  KILN_CUDA_LAUNCHED();
}

}  // namespace kiln::cuda
