// ConstantOfShape: a tensor of the given shape filled with the one element of `value` (default float 0).
#include <cstring>

#include "common/element_value.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

struct ConstantOfShape {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.ConstantOfShape";
    s.op_type = "ConstantOfShape";
    s.opset_min = 9;
    s.inputs = {io(KILN_DTYPE_BIT(KILN_DTYPE_INT64))};
    s.outputs = {io(kEveryDtype)};
    return s;
  }
  explicit ConstantOfShape(const Node& node) {
    if (node.has("value")) {
      const Tensor t = node.attr_tensor("value");
      if (t.numel() != 1) fail_invalid("ConstantOfShape: 'value' must hold exactly one element");
      dtype = t.dtype();
      element.assign(static_cast<const uint8_t*>(t.raw()), static_cast<const uint8_t*>(t.raw()) + t.bytes());
    }
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ConstantOfShape c(node);
    std::vector<int64_t> dims;
    if (known_ints(ctx, 0, dims)) ctx.set_output(0, c.dtype, dims);
    else if (ctx.input(0).shape_known()) ctx.set_output(0, c.dtype, std::vector<int64_t>(ctx.input(0).numel(), -1));
    else ctx.set_output_unknown_rank(0, c.dtype);
  }
  void execute(ExecContext& ctx) {
    const Tensor y = ctx.output(0);
    auto* out = static_cast<uint8_t*>(y.raw());
    for (int64_t i = 0; i < y.numel(); ++i) std::memcpy(out + i * element.size(), element.data(), element.size());
  }
  kiln_dtype dtype = KILN_DTYPE_FLOAT32;
  std::vector<uint8_t> element = std::vector<uint8_t>(sizeof(float), 0);
};

}  // namespace

const kiln_kernel_desc* constant_of_shape_kernel() { return describe<ConstantOfShape>(); }

}  // namespace kiln::cpu_ref
