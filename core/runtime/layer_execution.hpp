// Running one prepared kernel on one node: the shapes its outputs take for the actual inputs, and the call to
// execute with its workspace. The engine, constant folding and plan checks all go through these.
#ifndef KILN_CORE_LAYER_EXECUTION_HPP
#define KILN_CORE_LAYER_EXECUTION_HPP

#include <functional>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "plugin/plugin_registry.hpp"

namespace kiln {

struct OutputShape {
  DataType dtype = KILN_DTYPE_UNDEFINED;  // UNDEFINED for an omitted optional output
  std::vector<int64_t> dims;
};

// Output dtypes and dims for these inputs (nullptr: an omitted optional input), from the kernel's shape
// function given the inputs' data, else from what the graph knows. Throws kiln::Error naming the node and
// kernel when an output's shape is still unknown.
std::vector<OutputShape> output_shapes(const KernelEntry& kernel, const Node& node,
                                       const std::vector<const Tensor*>& inputs);

// Calls the kernel's execute on `inputs` -> `outputs` (already allocated with output_shapes' result; an empty
// Tensor for an omitted output). `workspace` is grown as the kernel asks. Throws kiln::Unsupported when the
// kernel reports KILN_ERROR_UNSUPPORTED, kiln::Error for any other failure.
void execute_layer(const KernelEntry& kernel, void* state, const Node& node, const std::vector<const Tensor*>& inputs,
                   const std::vector<Tensor>& outputs, std::vector<uint8_t>& workspace);

// The same for a kernel that runs on a device: its work is enqueued on `stream`, and `workspace(bytes)` returns
// device memory of at least `bytes` bytes (256-byte aligned) that stays the kernel's until it returns.
void execute_device_layer(const KernelEntry& kernel, void* state, const Node& node,
                          const std::vector<const Tensor*>& inputs, const std::vector<Tensor>& outputs, void* stream,
                          const std::function<void*(size_t bytes)>& workspace);

}  // namespace kiln

#endif  // KILN_CORE_LAYER_EXECUTION_HPP
