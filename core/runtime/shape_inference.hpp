// Output dtypes and shapes of one node, from its kernel's infer hook.
#ifndef KILN_CORE_SHAPE_INFERENCE_HPP
#define KILN_CORE_SHAPE_INFERENCE_HPP

#include <vector>

#include "ir/graph.hpp"
#include "plugin/host_api.hpp"
#include "plugin/plugin_registry.hpp"

namespace kiln {

using InferredOutputs = std::vector<kiln_infer_ctx::Output>;

// Calls the kernel's infer with `inputs` (one per node input position). Throws kiln::Error naming the node,
// kernel and plugin when the hook fails. Requires kernel.desc->infer.
InferredOutputs infer_outputs(const KernelEntry& kernel, const Node& node, std::vector<kiln_value_info> inputs);

// Build time: refines the node's output Values with what its kernel infers from the static input infos
// (ONNX's shape inference result is kept where the kernel knows less).
void propagate_shapes(const KernelEntry& kernel, Node& node);

}  // namespace kiln

#endif  // KILN_CORE_SHAPE_INFERENCE_HPP
