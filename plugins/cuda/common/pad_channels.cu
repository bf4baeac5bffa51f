#include "common/pad_channels.hpp"

#include "common/cuda_check.hpp"

namespace kiln::cuda {

namespace {

constexpr int kThreads = 256;

unsigned blocks_for(int64_t pixels) { return static_cast<unsigned>((pixels + kThreads - 1) / kThreads); }

// One pixel (n, h, w) per thread: its C values gathered along X's channel stride, written with the zeros.
template <class T>
__global__ void pad_strided_kernel(const T* from, ImageDims x, T* to, int64_t padded) {
  const int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t h = x.dims[2], w = x.dims[3];
  if (p >= x.dims[0] * h * w) return;
  const int64_t n = p / (h * w), iy = p / w % h, ix = p % w;
  const T* pixel = from + n * x.strides[0] + iy * x.strides[2] + ix * x.strides[3];
  T out[16] = {};
  for (int64_t c = 0; c < x.dims[1]; ++c) out[c] = pixel[c * x.strides[1]];
  for (int64_t c = 0; c < padded; ++c) to[p * padded + c] = out[c];
}

}  // namespace

void pad_channels(const void* from, const ImageDims& x, size_t element_bytes, void* to, int64_t padded,
                  cudaStream_t stream) {
  const int64_t pixels = x.dims[0] * x.dims[2] * x.dims[3];
  if (pixels == 0) return;
  if (x.dims[1] > padded || padded > 16) fail_invalid("pad_channels: " + std::to_string(x.dims[1]) + " channels to " + std::to_string(padded));
  if (element_bytes == 1)
    pad_strided_kernel<<<blocks_for(pixels), kThreads, 0, stream>>>(static_cast<const uint8_t*>(from), x, static_cast<uint8_t*>(to), padded);
  else if (element_bytes == 2)
    pad_strided_kernel<<<blocks_for(pixels), kThreads, 0, stream>>>(static_cast<const uint16_t*>(from), x, static_cast<uint16_t*>(to), padded);
  else if (element_bytes == 4)
    pad_strided_kernel<<<blocks_for(pixels), kThreads, 0, stream>>>(static_cast<const uint32_t*>(from), x, static_cast<uint32_t*>(to), padded);
  else
    fail_invalid("pad_channels: elements of " + std::to_string(element_bytes) + " bytes");
  KILN_CUDA_LAUNCHED();
}

}  // namespace kiln::cuda
