// com.example.cuda.LayerScale's device code: one thread per element, a grid-stride loop.
#include <algorithm>

#include "layer_scale_cuda.hpp"

namespace example {
namespace {

__global__ void layer_scale(const float* x, const float* gamma, float* y, int64_t n, int64_t channels, int64_t inner) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = x[i] * gamma[(i / inner) % channels];
}

}  // namespace

cudaError_t launch_layer_scale(const float* x, const float* gamma, float* y, int64_t outer, int64_t channels,
                               int64_t inner, cudaStream_t stream) {
  const int64_t n = outer * channels * inner;
  if (n == 0) return cudaSuccess;
  constexpr int kThreads = 256;
  const int64_t blocks = std::min<int64_t>((n + kThreads - 1) / kThreads, 4096);
  layer_scale<<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(x, gamma, y, n, channels, inner);
  return cudaGetLastError();
}

}  // namespace example
