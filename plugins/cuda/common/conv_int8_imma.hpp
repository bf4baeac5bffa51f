// kiln's own INT8 convolution: an implicit GEMM on the int8 tensor cores (mma.sync m16n8k32, int32 sums) with the
// requantization fused into its epilogue, for the layers where cuDNN's int8 graph engines fall short: on an H100
// they run ResNet-50's layer1 residual 1x1 convolution in 0.386 ms, where a copy of as many bytes takes 0.160
// (docs/performance.md), and its space-to-depth packed first layer (common/conv_int8_space_to_depth.hpp) not at
// all well. This kernel keeps the next tiles' X, W and residual in flight through a ring of 16-byte copies while
// a tile's epilogue runs, and writes Y 8 bytes per thread, coalesced: 0.246 ms on that residual layer and 0.36 ms
// on the packed 4x4 stem, bound by instruction issue (the epilogue's per-value arithmetic, then the copies'
// address arithmetic); on 3x3 layers cuDNN's wgmma kernels stay 1.5-3x faster, and the timing keeps them.
//
//   Y[p, k] = saturate(round_half_even(clamp(sum[p, k] * scale[k] + bias[k] + z_alpha * Z[p, k], lo, hi)))
//
// or, with y_real, the clamped real itself as float32 (an INT8 layer before float readers: a classifier's logits).
// A GEMM [M, K] x [K, N] is the 1x1 convolution of M pixels of K channels (common/gemm_int8_layer.hpp).
//
// where sum is the exact int32 dot product of X's receptive field of output pixel p with W's filter k, and every
// factor is already in Y's units (ConvInt8Layer divides by Y's scale), as in the cuDNN graph
// (common/conv_int8_graph.hpp). X dense NHWC int8, W [K, R, S, C] int8, Y and Z dense NHWC int8, no zero points.
// ConvInt8Layer times the tile shapes below against cuDNN's engine configs per layer and runs the fastest.
#ifndef KILN_CUDA_CONV_INT8_IMMA_HPP
#define KILN_CUDA_CONV_INT8_IMMA_HPP

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace kiln::cuda {

struct ConvInt8ImmaShape {
  int64_t n = 0, h = 0, w = 0, c = 0;  // X [N, H, W, C]
  int64_t k = 0, r = 1, s = 1;         // W [K, R, S, C]
  int64_t stride[2] = {1, 1}, pad[2] = {0, 0}, dilation[2] = {1, 1};
  int64_t oh = 0, ow = 0;              // Y [N, OH, OW, K]

  // Why the kernel cannot run this shape ("" when it can): C a multiple of 16 (one 16-byte copy never straddles
  // two filter taps), K a multiple of 8 (Y written 8 channels at a time), sizes within 32-bit indexing.
  std::string unsupported() const;
  std::string text() const;
};

struct ConvInt8ImmaArgs {
  ConvInt8ImmaShape shape;
  const int8_t* x = nullptr;
  const int8_t* w = nullptr;
  const float* scale = nullptr;  // K, in Y's units
  const float* bias = nullptr;   // K, in Y's units
  const int8_t* z = nullptr;     // the residual, Y's shape; nullptr: none
  float z_alpha = 0;             // Z's integers to Y's units
  float lo = -INFINITY, hi = INFINITY;  // the clamp in Y's units (Relu: lo 0)
  int8_t* y = nullptr;
  float* y_real = nullptr;  // instead of y: Y as float32 reals (scale, bias, z_alpha and the clamp in reals, no rounding)
};

// The tile shapes, one kernel each: 0 .. conv_int8_imma_tiles() - 1.
int conv_int8_imma_tiles();
std::string conv_int8_imma_tile_name(int tile);  // "128x128": output pixels x output channels per block

// Whether the buffers meet the kernel's alignment (16 bytes for X and W, 8 for Y and Z).
bool conv_int8_imma_aligned(const ConvInt8ImmaArgs& a);

// Enqueues the convolution with tile shape `tile` on `stream`. The shape must be supported and the buffers aligned.
void launch_conv_int8_imma(const ConvInt8ImmaArgs& a, int tile, cudaStream_t stream);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_INT8_IMMA_HPP
