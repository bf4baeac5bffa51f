// The one convolution an INT8 layer poses to cuDNN, in cuDNN's INT8_EXT_CONFIG: X and W int8 channels-last
// (CUDNN_TENSOR_NHWC, W as KRSC), int32 accumulation, and the sums written as float (alpha 1, beta 0), so that
// Y holds each exact int32 sum; the layer's epilogue scales, adds and requantizes them (common/conv_int8_epilogue.hpp).
// cuDNN's int8 kernels want the input and output channel counts in multiples of 4: the layer pads them with zero
// channels (X copied, W uploaded padded, the extra sums never read).
#ifndef KILN_CUDA_CONV_INT8_DESCRIPTORS_HPP
#define KILN_CUDA_CONV_INT8_DESCRIPTORS_HPP

#include <string>
#include <vector>

#include "common/conv_descriptors.hpp"

namespace kiln::cuda {

struct ConvInt8Problem {
  ImageDims x;                  // X as cuDNN reads it: dense NHWC int8, C padded (the layer's copy when X is not)
  ImageDims sums;               // the int32 sums as float: dense NHWC [N, K padded, OH, OW]
  std::vector<int64_t> filter;  // [K, C, R, S] padded as X and the sums are
  ConvWindow window;
  int64_t group = 1;

  // Everything the fastest algorithm depends on, as text: for tuning keys and notes.
  std::string text() const;
};

struct ConvInt8Descriptors {
  explicit ConvInt8Descriptors(const ConvInt8Problem& problem);

  TensorDescriptor x, sums;
  FilterDescriptor w;
  ConvolutionDescriptor conv;
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_INT8_DESCRIPTORS_HPP
