// Which kernels may be given quantized activations (docs/quantization.md). A kernel that merely accepts int8
// (ONNX's Relu, Mul, Sigmoid do) would compute on the integers as if they were reals; only an INT8 kernel
// (KILN_KERNEL_QUANTIZED: it reads the scales) or a pass-through one (KILN_KERNEL_QUANT_PASSTHROUGH: data
// movement and max pooling, exact on integers that share one scale) is.
#ifndef KILN_CORE_QUANTIZED_KERNELS_HPP
#define KILN_CORE_QUANTIZED_KERNELS_HPP

#include <optional>

#include "ir/graph.hpp"
#include "plugin/plugin_registry.hpp"

namespace kiln {

// The parameters every quantized input and output of `node` shares, if they share one and there is any.
std::optional<Quantization> shared_quantization(const Node& node);

// Whether `kernel` (the selector's choice for `node` as it now reads and writes quantized values) computes it
// correctly: an INT8 kernel, or a pass-through kernel whose quantized inputs and outputs share one set of
// parameters and which has no float activation left. nullptr: false.
bool runs_quantized(const KernelEntry* kernel, const Node& node);

bool is_pass_through(const KernelEntry* kernel);

}  // namespace kiln

#endif  // KILN_CORE_QUANTIZED_KERNELS_HPP
