#include "common/pad_channels.hpp"

#include "common/cuda_check.hpp"

namespace kiln::cuda {

namespace {

__global__ void pad_channels_kernel(const int8_t* from, int64_t channels, int8_t* to, int64_t padded, int64_t pixels) {
  const int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (p >= pixels) return;
  int8_t pixel[16] = {};
  for (int64_t c = 0; c < channels; ++c) pixel[c] = from[p * channels + c];
  for (int64_t c = 0; c < padded; ++c) to[p * padded + c] = pixel[c];
}

}  // namespace

void pad_channels_int8(const int8_t* from, int64_t channels, int8_t* to, int64_t padded, int64_t pixels,
                       cudaStream_t stream) {
  if (pixels == 0) return;
  constexpr int kThreads = 256;
  const auto blocks = static_cast<unsigned>((pixels + kThreads - 1) / kThreads);
  pad_channels_kernel<<<blocks, kThreads, 0, stream>>>(from, channels, to, padded, pixels);
  KILN_CUDA_LAUNCHED();
}

}  // namespace kiln::cuda
