// A dense NHWC int8 image with C channels copied into one with `padded` >= C channels per pixel, the rest zero:
// what cuDNN's int8 convolutions read for a first layer's 3 colour channels. One thread per pixel.
#ifndef KILN_CUDA_PAD_CHANNELS_HPP
#define KILN_CUDA_PAD_CHANNELS_HPP

#include <cuda_runtime.h>

#include <cstdint>

namespace kiln::cuda {

// `pixels` = N * H * W. Requires padded <= 16.
void pad_channels_int8(const int8_t* from, int64_t channels, int8_t* to, int64_t padded, int64_t pixels,
                       cudaStream_t stream);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_PAD_CHANNELS_HPP
