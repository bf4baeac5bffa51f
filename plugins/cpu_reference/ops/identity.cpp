// Identity and Dropout (inference: the input unchanged; Dropout's optional mask is all true: bool from opset
// 10, of the input's type before).
#include <cstring>

#include "common/element_value.hpp"

namespace kiln::cpu_ref {
namespace {

void copy_input0(ExecContext& ctx) {
  const Tensor x = ctx.input(0), y = ctx.output(0);
  if (x.bytes()) std::memcpy(y.raw(), x.raw(), x.bytes());
}

void infer_like_input0(InferContext& ctx, int outputs, kiln_dtype mask_dtype = KILN_DTYPE_BOOL) {
  const ValueInfo x = ctx.input(0);
  for (int i = 0; i < outputs; ++i) {
    const kiln_dtype dtype = i == 0 ? x.dtype : mask_dtype;
    if (x.has_rank) ctx.set_output(i, dtype, x.dims);
    else ctx.set_output_unknown_rank(i, dtype);
  }
}

struct Identity {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Identity";
    s.op_type = "Identity";
    s.flags = KILN_KERNEL_IDENTITY;  // the builder removes the node
    s.inputs = {io(kEveryDtype)};
    s.outputs = s.inputs;
    return s;
  }
  explicit Identity(const Node&) {}
  static void infer(const Node&, InferContext& ctx) { infer_like_input0(ctx, 1); }
  void execute(ExecContext& ctx) { copy_input0(ctx); }
};

struct Dropout {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Dropout";
    s.op_type = "Dropout";
    s.opset_min = 7;
    s.flags = KILN_KERNEL_IDENTITY;  // for nodes check accepts (inference mode); the builder removes them
    const uint64_t data = FloatTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16), boolean = KILN_DTYPE_BIT(KILN_DTYPE_BOOL);
    s.inputs = {io(data), io(data, KILN_IO_OPTIONAL), io(boolean, KILN_IO_OPTIONAL)};  // ratio: bfloat16 from opset 22
    s.outputs = {io(data), io(data | boolean, KILN_IO_OPTIONAL)};
    return s;
  }
  // Training mode draws random masks: not an inference engine's job, and not reproducible against a reference.
  static std::string check(const Node& node) {
    const ValueInfo mode = node.num_inputs() > 2 ? node.input(2) : ValueInfo{};
    if (mode.present() && (!mode.data || *mode.as<bool>())) return "training_mode must be a constant false";
    return "";
  }
  explicit Dropout(const Node&) {}
  static void infer(const Node& node, InferContext& ctx) {
    infer_like_input0(ctx, node.num_outputs(), node.opset() < 10 ? ctx.input(0).dtype : KILN_DTYPE_BOOL);
  }
  void execute(ExecContext& ctx) {
    copy_input0(ctx);
    if (ctx.num_outputs() < 2 || !ctx.output(1).present()) return;
    const Tensor mask = ctx.output(1);
    const std::vector<uint8_t> one = element_bytes(mask.dtype(), 1.0, "Dropout");
    auto* out = static_cast<uint8_t*>(mask.raw());
    for (int64_t i = 0; i < mask.numel(); ++i) std::memcpy(out + i * static_cast<int64_t>(one.size()), one.data(), one.size());
  }
};

}  // namespace

const kiln_kernel_desc* identity_kernel() { return describe<Identity>(); }
const kiln_kernel_desc* dropout_kernel() { return describe<Dropout>(); }

}  // namespace kiln::cpu_ref
