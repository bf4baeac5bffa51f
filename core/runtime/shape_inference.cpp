#include "runtime/shape_inference.hpp"

#include "util/error.hpp"

namespace kiln {

InferredOutputs infer_outputs(const KernelEntry& kernel, const Node& node, std::vector<kiln_value_info> inputs) {
  kiln_infer_ctx ctx;
  ctx.inputs = std::move(inputs);
  ctx.outputs.resize(node.outputs.size());
  const kiln_kernel_desc& k = kernel.infer_from ? *kernel.infer_from : *kernel.desc;
  if (k.infer(k.user_data, host_api(), to_handle(&node), &ctx) != KILN_OK)
    throw Error(node.label() + ": shape inference failed in kernel " + k.name + " (" + kernel_origin(kernel) +
                "): " + take_plugin_error());
  return std::move(ctx.outputs);
}

namespace {

// Merges what the kernel inferred into what the graph knew (from the model or ONNX's inference).
void refine(Value& value, const kiln_infer_ctx::Output& inferred) {
  if (inferred.dtype != KILN_DTYPE_UNDEFINED) value.dtype = inferred.dtype;
  if (!inferred.has_rank) return;
  if (!value.has_shape || value.dims.size() != inferred.dims.size()) {
    value.has_shape = true;
    value.dims = inferred.dims;
    value.symbols.assign(value.dims.size(), "");
    return;
  }
  for (size_t i = 0; i < value.dims.size(); ++i)
    if (inferred.dims[i] >= 0) value.dims[i] = inferred.dims[i];
}

}  // namespace

void propagate_shapes(const KernelEntry& kernel, Node& node) {
  if (!kernel.desc->infer && !kernel.infer_from) {
    for (const Value* out : node.outputs)
      if (out && out->dtype == KILN_DTYPE_UNDEFINED)
        throw Error(node.label() + ": the type of output '" + out->name + "' is unknown and kernel " +
                    kernel.desc->name + " declares no shape function (mandatory for ops ONNX does not define)");
    return;
  }
  std::vector<kiln_value_info> inputs;
  for (const Value* in : node.inputs) inputs.push_back(describe_value(in));
  InferredOutputs outputs;
  try {
    outputs = infer_outputs(kernel, node, std::move(inputs));
  } catch (const Error&) {
    // At build time a shape function may lack data it needs (a computed Reshape target, say); the node's
    // shapes are then settled at run time, where the same call sees real inputs and its errors are final.
    return;
  }
  for (size_t i = 0; i < node.outputs.size(); ++i)
    if (node.outputs[i] && outputs[i].set) refine(*node.outputs[i], outputs[i]);
}

}  // namespace kiln
