#include "common/pad_channels.hpp"

#include "common/cuda_check.hpp"

namespace kiln::cuda {

namespace {

constexpr int kThreads = 256;

unsigned blocks_for(int64_t pixels) { return static_cast<unsigned>((pixels + kThreads - 1) / kThreads); }

// One written pixel (n, i, j) per thread: the block x block patch at (i * block, j * block) of X, its C values per
// pixel gathered along X's channel stride, written with the zeros.
template <class T>
__global__ void space_to_depth_kernel(const T* from, ImageDims x, int64_t block, T* to, int64_t padded, bool whole_vectors) {
  const int64_t h = x.dims[2], w = x.dims[3], c = x.dims[1];
  const int64_t out_h = (h + block - 1) / block, out_w = (w + block - 1) / block;
  const int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (p >= x.dims[0] * out_h * out_w) return;
  const int64_t n = p / (out_h * out_w), i = p / out_w % out_h, j = p % out_w;
  alignas(16) T out[16] = {};
  for (int64_t a = 0; a < block; ++a)
    for (int64_t b = 0; b < block; ++b) {
      const int64_t iy = i * block + a, ix = j * block + b;
      if (iy >= h || ix >= w) continue;
      const T* pixel = from + n * x.strides[0] + iy * x.strides[2] + ix * x.strides[3];
      for (int64_t k = 0; k < c; ++k) out[(a * block + b) * c + k] = pixel[k * x.strides[1]];
    }
  if (whole_vectors) {  // a pixel is one 16-byte store
    reinterpret_cast<uint4*>(to)[p] = *reinterpret_cast<const uint4*>(out);
    return;
  }
  for (int64_t k = 0; k < padded; ++k) to[p * padded + k] = out[k];
}

template <class T>
void launch(const void* from, const ImageDims& x, int64_t block, void* to, int64_t padded, int64_t pixels, cudaStream_t stream) {
  const bool whole_vectors = padded * static_cast<int64_t>(sizeof(T)) == 16 && reinterpret_cast<uintptr_t>(to) % 16 == 0;
  space_to_depth_kernel<<<blocks_for(pixels), kThreads, 0, stream>>>(static_cast<const T*>(from), x, block, static_cast<T*>(to),
                                                                      padded, whole_vectors);
}

}  // namespace

void space_to_depth(const void* from, const ImageDims& x, size_t element_bytes, int64_t block, void* to, int64_t padded,
                    cudaStream_t stream) {
  if (block < 1 || block * block * x.dims[1] > padded || padded > 16)
    fail_invalid("space_to_depth: " + std::to_string(x.dims[1]) + " channels in blocks of " + std::to_string(block) + " to " +
                 std::to_string(padded));
  const int64_t pixels = x.dims[0] * ((x.dims[2] + block - 1) / block) * ((x.dims[3] + block - 1) / block);
  if (pixels == 0) return;
  if (element_bytes == 1) launch<uint8_t>(from, x, block, to, padded, pixels, stream);
  else if (element_bytes == 2) launch<uint16_t>(from, x, block, to, padded, pixels, stream);
  else if (element_bytes == 4) launch<uint32_t>(from, x, block, to, padded, pixels, stream);
  else fail_invalid("space_to_depth: elements of " + std::to_string(element_bytes) + " bytes");
  KILN_CUDA_LAUNCHED();
}

}  // namespace kiln::cuda
