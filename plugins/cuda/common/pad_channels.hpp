// An image with few channels copied into a dense NHWC one with `padded` >= C channels per pixel, the rest zero:
// what cuDNN's int8 convolutions read for a first layer's 3 colour channels (padded to 16), and what its FP16
// ones run twice as fast on (3 padded to 4: benchmarks/gpu/cudnn_stem_probe.cpp). One thread per pixel.
#ifndef KILN_CUDA_PAD_CHANNELS_HPP
#define KILN_CUDA_PAD_CHANNELS_HPP

#include <cuda_runtime.h>

#include <cstdint>

#include "common/image_dims.hpp"

namespace kiln::cuda {

// From `x` of any strides (NCHW, NHWC) with elements of `element_bytes` (1, 2 or 4) into dense NHWC with
// `padded` channels. Requires padded <= 16.
void pad_channels(const void* from, const ImageDims& x, size_t element_bytes, void* to, int64_t padded,
                  cudaStream_t stream);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_PAD_CHANNELS_HPP
