// An image with few channels copied into a dense NHWC one with `padded` >= C channels per pixel, the rest zero:
// what cuDNN's int8 convolutions read for a first layer's 3 colour channels (padded to 16), and what its FP16
// ones run twice as fast on (3 padded to 4: benchmarks/gpu/cudnn_stem_probe.cpp). With a block of b > 1 it is a
// space-to-depth: each b x b patch of pixels becomes one pixel of b * b * C channels (patch row, patch column,
// channel), which turns a stride-2 first layer into a stride-1 one over 16 channels
// (common/conv_int8_space_to_depth.hpp). One thread per written pixel.
#ifndef KILN_CUDA_PAD_CHANNELS_HPP
#define KILN_CUDA_PAD_CHANNELS_HPP

#include <cuda_runtime.h>

#include <cstdint>

#include "common/image_dims.hpp"

namespace kiln::cuda {

// From `x` of any strides (NCHW, NHWC) with elements of `element_bytes` (1, 2 or 4) into dense NHWC
// [N, ceil(H / block), ceil(W / block), padded]; patches reaching past X's edge read zeros there. Requires
// block * block * C <= padded <= 16.
void space_to_depth(const void* from, const ImageDims& x, size_t element_bytes, int64_t block, void* to, int64_t padded,
                    cudaStream_t stream);

// The channels alone padded: a block of 1.
inline void pad_channels(const void* from, const ImageDims& x, size_t element_bytes, void* to, int64_t padded,
                         cudaStream_t stream) {
  space_to_depth(from, x, element_bytes, 1, to, padded, stream);
}

}  // namespace kiln::cuda

#endif  // KILN_CUDA_PAD_CHANNELS_HPP
