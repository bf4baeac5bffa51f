#include "runtime/layer_execution.hpp"

#include "plugin/host_api.hpp"
#include "runtime/run_node.hpp"  // kernel_label
#include "runtime/shape_inference.hpp"
#include "util/error.hpp"

namespace kiln {

namespace {

kiln_tensor absent_tensor() {
  kiln_tensor t{};
  t.struct_size = sizeof t;
  return t;
}

std::vector<kiln_tensor> views_of(const std::vector<const Tensor*>& tensors) {
  std::vector<kiln_tensor> views;
  for (const Tensor* t : tensors) views.push_back(t && !t->empty() ? t->view() : absent_tensor());
  return views;
}

// The kernel's infer hook sees each input's actual dtype, dims and data.
InferredOutputs infer_with_data(const KernelEntry& kernel, const Node& node, const std::vector<const Tensor*>& inputs) {
  std::vector<kiln_value_info> infos;
  for (size_t i = 0; i < inputs.size(); ++i) {
    kiln_value_info info = describe_value(node.inputs[i]);
    if (const Tensor* t = inputs[i]) {
      info.dtype = t->dtype();
      info.rank = t->rank();
      info.dims = t->dims().data();
      info.data = t->device() == KILN_DEVICE_CPU ? t->data() : nullptr;  // device bytes are not readable here
    }
    infos.push_back(info);
  }
  return infer_outputs(kernel, node, std::move(infos));
}

}  // namespace

std::vector<OutputShape> output_shapes(const KernelEntry& kernel, const Node& node,
                                       const std::vector<const Tensor*>& inputs) {
  const bool has_infer = kernel.desc->infer || kernel.infer_from;
  const InferredOutputs inferred = has_infer ? infer_with_data(kernel, node, inputs) : InferredOutputs{};
  std::vector<OutputShape> shapes(node.outputs.size());
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    const Value* out = node.outputs[i];
    if (!out) continue;
    OutputShape& shape = shapes[i];
    shape.dtype = out->dtype;
    shape.dims = out->dims;
    bool known = out->shape_known();
    if (!inferred.empty() && inferred[i].set) {
      shape.dtype = inferred[i].dtype;
      shape.dims = inferred[i].dims;
      known = inferred[i].has_rank;
      for (int64_t d : shape.dims) known = known && d >= 0;
    }
    if (!known || shape.dtype == KILN_DTYPE_UNDEFINED)
      throw Error(node.label() + ": the shape of output '" + out->name + "' is unknown at run time (" +
                  kernel_label(kernel) + " gave none)");
  }
  return shapes;
}

namespace {

// Sizes the workspace and calls execute; `workspace(bytes)` provides the memory.
void call_execute(const KernelEntry& kernel, void* state, const Node& node, const std::vector<const Tensor*>& inputs,
                  const std::vector<Tensor>& outputs, void* stream, const std::function<void*(size_t)>& workspace) {
  const std::vector<kiln_tensor> in_views = views_of(inputs);
  std::vector<const Tensor*> out_ptrs;
  for (const Tensor& t : outputs) out_ptrs.push_back(&t);
  const std::vector<kiln_tensor> out_views = views_of(out_ptrs);
  kiln_exec_ctx ctx{};
  ctx.struct_size = sizeof ctx;
  ctx.num_inputs = static_cast<int32_t>(in_views.size());
  ctx.inputs = in_views.data();
  ctx.num_outputs = static_cast<int32_t>(out_views.size());
  ctx.outputs = out_views.data();
  ctx.stream = stream;

  const kiln_kernel_desc& k = *kernel.desc;
  if (k.workspace_size) {
    size_t bytes = 0;
    if (k.workspace_size(state, &ctx, &bytes) != KILN_OK)
      throw Error(node.label() + ": " + kernel_label(kernel) + " failed to size its workspace: " + take_plugin_error());
    ctx.workspace = bytes ? workspace(bytes) : nullptr;
    ctx.workspace_bytes = bytes;
  }
  const kiln_status status = k.execute(state, &ctx);
  if (status == KILN_OK) return;
  const std::string message = node.label() + ": " + kernel_label(kernel) + " failed: " + take_plugin_error();
  if (status == KILN_ERROR_UNSUPPORTED) throw Unsupported(message);
  throw Error(message);
}

}  // namespace

void execute_layer(const KernelEntry& kernel, void* state, const Node& node, const std::vector<const Tensor*>& inputs,
                   const std::vector<Tensor>& outputs, std::vector<uint8_t>& workspace) {
  call_execute(kernel, state, node, inputs, outputs, nullptr, [&](size_t bytes) -> void* {
    if (workspace.size() < bytes + 64) workspace.resize(bytes + 64);
    const uintptr_t base = reinterpret_cast<uintptr_t>(workspace.data());
    return workspace.data() + ((64 - base % 64) % 64);  // the ABI promises 64-byte alignment
  });
}

void execute_device_layer(const KernelEntry& kernel, void* state, const Node& node,
                          const std::vector<const Tensor*>& inputs, const std::vector<Tensor>& outputs, void* stream,
                          const std::function<void*(size_t bytes)>& workspace) {
  call_execute(kernel, state, node, inputs, outputs, stream, workspace);
}

}  // namespace kiln
