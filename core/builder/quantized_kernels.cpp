#include "builder/quantized_kernels.hpp"

#include "plugin/kernel_flags.hpp"

namespace kiln {

namespace {

bool is_float(DataType dtype) {
  return dtype == KILN_DTYPE_FLOAT32 || dtype == KILN_DTYPE_FLOAT16 || dtype == KILN_DTYPE_BFLOAT16 ||
         dtype == KILN_DTYPE_FLOAT64;
}

bool has_float_activation(const Node& node) {
  for (const std::vector<Value*>* list : {&node.inputs, &node.outputs})
    for (const Value* v : *list)
      if (v && !v->constant && is_float(v->dtype)) return true;
  return false;
}

}  // namespace

std::optional<Quantization> shared_quantization(const Node& node) {
  std::optional<Quantization> shared;
  for (const std::vector<Value*>* list : {&node.inputs, &node.outputs})
    for (const Value* v : *list) {
      if (!v || v->constant || !v->quant) continue;
      if (shared && *shared != *v->quant) return std::nullopt;
      shared = v->quant;
    }
  return shared;
}

bool is_pass_through(const KernelEntry* kernel) {
  return kernel && has_kernel_flag(*kernel, KILN_KERNEL_QUANT_PASSTHROUGH);
}

bool runs_quantized(const KernelEntry* kernel, const Node& node) {
  if (!kernel) return false;
  if (has_kernel_flag(*kernel, KILN_KERNEL_QUANTIZED)) return true;
  return is_pass_through(kernel) && !has_float_activation(node) && shared_quantization(node).has_value();
}

}  // namespace kiln
