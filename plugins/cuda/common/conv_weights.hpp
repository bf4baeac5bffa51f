// A convolution's constant weights and bias as the CUDA convolutions upload them: read once in create, with a
// following BatchNormalization folded in (in double), and laid out as cuDNN's filter format wants.
#ifndef KILN_CUDA_CONV_WEIGHTS_HPP
#define KILN_CUDA_CONV_WEIGHTS_HPP

#include <cstdint>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln::cuda {

struct ConvWeights {
  std::vector<int64_t> dims;   // W's [K, C/group, R, S]
  std::vector<double> weight;  // K*C/group*R*S values, KCRS order
  std::vector<double> bias;    // K values, zeros when neither the Conv nor a BatchNormalization brings any
  bool has_bias = false;       // whether bias came from somewhere (else it is all zeros and may be skipped)

  // W and B of `conv`, with BatchNormalization `bn` (nullptr: none) folded in: s * (W * x + b - mean) + beta is
  // the convolution with weights s * W and bias s * (b - mean) + beta, s = scale / sqrt(var + epsilon).
  static ConvWeights read(const Node& conv, const Node* bn);

  // The weights in cuDNN's filter format: KCRS, or KRSC when X is channels-last (CUDNN_TENSOR_NHWC filters).
  std::vector<double> laid_out(bool channels_last) const;
  // KRSC with `c_to` >= C/group input channels, the added ones zero: for X padded with zero channels.
  std::vector<double> padded_krsc(int64_t c_to) const;
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_WEIGHTS_HPP
