// An INT8 convolution's weights as cuDNN's int8 convolution takes them (docs/quantization.md, Weights): integers
// in KRSC order (CUDNN_TENSOR_NHWC filters) with one scale per output channel, made once in create from the float
// constant W. With W's own quantization parameters (a folded DequantizeLinear) and no BatchNormalization folded
// after, the integers are recovered exactly from them; otherwise each output channel is quantized symmetrically:
// scale[m] = max|w[m]| / 127, q = clamp(round_half_even(w / scale[m]), -127, 127), a channel of zeros scale 1.
// The bias (BatchNormalization folded in, in double) stays real: the epilogue adds it after rescaling.
#ifndef KILN_CUDA_CONV_INT8_WEIGHTS_HPP
#define KILN_CUDA_CONV_INT8_WEIGHTS_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln::cuda {

struct Int8ConvWeights {
  std::vector<int64_t> dims;   // W's [K, C/group, R, S]
  std::vector<int8_t> krsc;    // the integers, KRSC order
  std::vector<double> scales;  // per output channel: w = q * scales[m]
  std::vector<double> bias;    // K reals, zeros without a bias
  bool has_bias = false;
  bool own_parameters = false;  // the integers came from W's quantization parameters (else quantized here)

  // The weights of `conv`, with BatchNormalization `bn` (nullptr: none) folded in before quantizing.
  static Int8ConvWeights read(const Node& conv, const Node* bn);

  // The integers as [k_to, R, S, c_to] (k_to >= K, c_to >= C/group), zeros in the added output and input
  // channels: what a convolution with channels padded to cuDNN's multiples of 4 reads.
  std::vector<int8_t> padded_krsc(int64_t k_to, int64_t c_to) const;
};

// `w` as `maps` rows of equal length (output channels first), each row quantized symmetrically onto
// [-127, 127] (docs/quantization.md): w becomes the integers, the rows' scales are returned (a row of zeros
// gets scale 1).
std::vector<double> quantize_per_channel(std::vector<double>& w, int64_t maps);
// The integers W's own parameters say `w` holds, row by row: q = round(w / scale[row]) (zero points are 0,
// int8_weight_reason); fails where one falls outside int8. Returns the rows' scales.
std::vector<double> recover_integers(std::vector<double>& w, const Quantization& quant, int64_t maps, const std::string& label);

// Why a constant's own quantization parameters (a folded DequantizeLinear's) cannot give the int8 kernels' integers,
// or "" (also when it has none): the kernels have no weight zero points, so they must be 0; int8 integers; one
// scale per tensor or one per output channel along `channel_axis`. `what` names the constant ("W", "B").
std::string int8_grid_reason(const ValueInfo& w, const std::string& what, int channel_axis);

// int8_grid_reason for a convolution's W (output channels along axis 0), or "" when its parameters will not be
// used: a BatchNormalization folded after changes the weights.
std::string int8_weight_reason(const ValueInfo& w, bool bn_folded);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_INT8_WEIGHTS_HPP
