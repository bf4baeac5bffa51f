#include "runtime/run_node.hpp"

#include "plugin/host_api.hpp"
#include "runtime/layer_execution.hpp"
#include "util/error.hpp"

namespace kiln {

std::string kernel_label(const KernelEntry& kernel) {
  return std::string("kernel ") + kernel.desc->name + " (" + kernel_origin(kernel) + ")";
}

uint8_t poison_byte(DataType d) {
  const bool real = d == KILN_DTYPE_FLOAT32 || d == KILN_DTYPE_FLOAT16 || d == KILN_DTYPE_FLOAT64 || d == KILN_DTYPE_BFLOAT16;
  return real ? 0xFF : 0x5A;
}

void poison(Tensor& output) { output.fill_bytes(poison_byte(output.dtype())); }

namespace {

// A kernel's prepared state for one node, destroyed on scope exit.
class PreparedState {
 public:
  PreparedState(const KernelEntry& kernel, const Node& node) : desc_(*kernel.desc) {
    if (desc_.create(desc_.user_data, host_api(), to_handle(&node), &state_) != KILN_OK)
      throw Error(node.label() + ": " + kernel_label(kernel) + " could not prepare it: " + take_plugin_error());
  }
  ~PreparedState() {
    if (state_) desc_.destroy(state_);
  }
  PreparedState(const PreparedState&) = delete;
  PreparedState& operator=(const PreparedState&) = delete;
  void* get() const { return state_; }

 private:
  const kiln_kernel_desc& desc_;
  void* state_ = nullptr;
};

}  // namespace

std::vector<Tensor> run_node_once(const KernelEntry& kernel, const Node& node, const std::vector<Tensor>& inputs) {
  if (inputs.size() != node.inputs.size())
    throw Error(node.label() + ": given " + std::to_string(inputs.size()) + " inputs, the node has " +
                std::to_string(node.inputs.size()));
  std::vector<const Tensor*> present;
  for (const Tensor& t : inputs) present.push_back(t.empty() ? nullptr : &t);
  std::vector<Tensor> outputs;
  for (const OutputShape& shape : output_shapes(kernel, node, present))
    outputs.push_back(shape.dtype == KILN_DTYPE_UNDEFINED ? Tensor{} : Tensor(shape.dtype, shape.dims));
  const PreparedState state(kernel, node);
  std::vector<uint8_t> workspace;
  execute_layer(kernel, state.get(), node, present, outputs, workspace);
  return outputs;
}

}  // namespace kiln
