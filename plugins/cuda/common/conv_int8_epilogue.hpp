// The INT8 convolution's epilogue: one pass from cuDNN's exact int32 sums (held as float, dense NHWC) to Y, in
// float, in the order docs/quantization.md gives the arithmetic:
//   real = sum * (x_scale * w_scale[m]) + bias[m]  (+ (r - r_zero) * r_scale, the fused residual)
//   real = min(max(real, lo), hi)                  (Relu or Clip; the identity when lo, hi are infinite)
//   Y    = saturate(round_half_even(real / y_scale) + y_zero)  for int8 Y, else real (float32 / float16 Y).
// Y and the residual may have any strides (NHWC, NCHW). The reference computes in double; float here may differ
// from it by one integer step.
#ifndef KILN_CUDA_CONV_INT8_EPILOGUE_HPP
#define KILN_CUDA_CONV_INT8_EPILOGUE_HPP

#include <cuda_runtime.h>

#include <cmath>

#include "common/image_dims.hpp"

namespace kiln::cuda {

// A tensor the epilogue reads or writes, with its grid when it is int8.
struct EpilogueTensor {
  kiln_dtype dtype = KILN_DTYPE_UNDEFINED;  // int8, float32 or float16 (UNDEFINED: absent)
  void* data = nullptr;
  ImageDims dims;  // logical N, C, H, W and any strides
  float scale = 1.0f;
  int32_t zero_point = 0;
};

struct ConvInt8Epilogue {
  const float* sums = nullptr;        // dense NHWC, Y's logical dims but `sums_channels` channels
  int64_t sums_channels = 0;          // Y's channels, or more (channels padded for cuDNN, never read)
  const float* multiplier = nullptr;  // per output channel: x_scale * w_scale[m]
  const float* bias = nullptr;        // per output channel, real; nullptr: none
  EpilogueTensor residual;            // dtype UNDEFINED: no Add
  float lo = -INFINITY, hi = INFINITY;
  EpilogueTensor y;
};

// Enqueues the epilogue on `stream`.
void launch_conv_int8_epilogue(const ConvInt8Epilogue& epilogue, cudaStream_t stream);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_INT8_EPILOGUE_HPP
