// The convolution epilogue for when cuDNN's fused call is not the fastest (or not available): after a plain
// cudnnConvolutionForward has written Y, one pass adds the bias per channel and the residual, then applies Relu,
// in float, in the order the unfused graph would: relu((conv + bias) + residual).
#ifndef KILN_CUDA_CONV_EPILOGUE_HPP
#define KILN_CUDA_CONV_EPILOGUE_HPP

#include <cuda_runtime.h>

#include "common/image_dims.hpp"

namespace kiln::cuda {

struct ConvEpilogue {
  kiln_dtype dtype = KILN_DTYPE_FLOAT32;  // of Y and the residual
  void* y = nullptr;
  ImageDims y_dims;
  const float* bias = nullptr;            // one value per channel; nullptr: none
  const void* residual = nullptr;         // nullptr: none
  ImageDims residual_dims;                // Y's dims, any strides
  bool relu = false;

  bool needed() const { return bias || residual || relu; }
};

// Enqueues the epilogue on `stream` (nothing when it has nothing to do).
void launch_conv_epilogue(const ConvEpilogue& epilogue, cudaStream_t stream);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_EPILOGUE_HPP
