// Max and average pooling over 2-D windows, our own kernel: ONNX's semantics exactly (pads on each side, ceil_mode,
// dilations, count_include_pad), on NCHW, NHWC or any strides. One thread per output value, in Y's memory order,
// so that channels-last tensors read whole rows of channels at a time; dense NHWC with 16-byte aligned channel
// rows takes 16 bytes of channels per thread and tap.
#ifndef KILN_CUDA_POOL_WINDOW_HPP
#define KILN_CUDA_POOL_WINDOW_HPP

#include <cuda_runtime.h>

#include "common/image_dims.hpp"

namespace kiln::cuda {

enum class PoolKind { Max, AverageIncludingPads, AverageExcludingPads };

struct PoolWindow {
  int64_t kernel[2] = {1, 1}, stride[2] = {1, 1}, dilation[2] = {1, 1};
  int64_t pad_begin[2] = {0, 0}, pad_end[2] = {0, 0};  // per spatial dim (H, W)
};

// How int8/uint8 pooling reads and writes integers (docs/quantization.md): each tap is read as q - x_zero, and a
// result r (the max or the average of those) is written as saturate(round_half_even(r * x_scale / y_scale) +
// y_zero): the real result requantized onto Y's grid, the product and the quotient each in float as a
// DequantizeLinear -> pool -> QuantizeLinear chain computes them. Max commutes with that monotonic map, so an
// integer max requantized equals the max of the reals, quantized. Float pooling ignores it.
struct PoolQuant {
  float x_scale = 1.0f, y_scale = 1.0f;
  int32_t x_zero = 0, y_zero = 0;
};

struct PoolLaunch {
  PoolKind kind = PoolKind::Max;
  kiln_dtype dtype = KILN_DTYPE_FLOAT32;  // of X and Y: float32, float16, int8 or uint8
  PoolQuant quant;                        // int8/uint8 only
  const void* x = nullptr;
  ImageDims x_dims;
  void* y = nullptr;
  ImageDims y_dims;
  PoolWindow window;
};

// Enqueues the pooling on `stream`. A max over a window with no tap inside X is -inf; an average over no counted
// tap is 0 (as the reference has it).
void launch_window_pool(const PoolLaunch& launch, cudaStream_t stream);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_POOL_WINDOW_HPP
