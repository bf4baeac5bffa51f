// Why a Conv node, or the Add fused after it, keeps a node off the CUDA convolutions: what the float kernels
// (ops/conv_fused.cpp) and the INT8 one (ops/conv_fused_int8.cpp) both require of the graph.
#ifndef KILN_CUDA_CONV_CHECKS_HPP
#define KILN_CUDA_CONV_CHECKS_HPP

#include <string>

#include "kiln/fused.hpp"
#include "kiln/plugin.hpp"

namespace kiln::cuda {

// Why a Conv node's own inputs keep it off cuDNN, or "": 2-D, constant weights and bias, padding cuDNN can do.
std::string conv_reason(const Node& conv);

// Why the Add step's other operand cannot be the convolution's residual input, or "": it must be an activation
// (not a constant) of the convolution output's exact shape, read in the output's layout.
std::string add_reason(const FusedStep& add, const Node& conv);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_CHECKS_HPP
