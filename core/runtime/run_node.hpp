// Running one node once, outside an engine: prepare its kernel state, size its outputs from the actual inputs,
// execute, release the state. Constant folding uses it so that any kernel (custom ops included) folds.
#ifndef KILN_CORE_RUN_NODE_HPP
#define KILN_CORE_RUN_NODE_HPP

#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "plugin/plugin_registry.hpp"

namespace kiln {

// "kernel kiln.cpu_ref.Conv (kiln.cpu_reference 0.1.0)", for messages.
std::string kernel_label(const KernelEntry& kernel);

// Fills a tensor about to be written with a value no kernel produces by accident: NaN bytes (0xFF) for floats,
// 0x5A for integers and bools, so that a kernel leaving an element unwritten shows in any comparison.
void poison(Tensor& output);
uint8_t poison_byte(DataType dtype);  // the byte poison() writes for `dtype`

// Runs `node` through `kernel` on host tensors, one per input position (an empty Tensor for an omitted
// optional input). Returns one Tensor per output position (empty where the node omits the output).
// Throws kiln::Error (kiln::Unsupported when the kernel says so) naming the node and the kernel.
std::vector<Tensor> run_node_once(const KernelEntry& kernel, const Node& node, const std::vector<Tensor>& inputs);

}  // namespace kiln

#endif  // KILN_CORE_RUN_NODE_HPP
