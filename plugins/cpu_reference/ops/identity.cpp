// Identity and Dropout (inference: the input unchanged; Dropout's optional mask is all true).
#include <cstring>

#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

void copy_input0(ExecContext& ctx) {
  const Tensor x = ctx.input(0), y = ctx.output(0);
  if (x.bytes()) std::memcpy(y.raw(), x.raw(), x.bytes());
}

void infer_like_input0(InferContext& ctx, int outputs) {
  const ValueInfo x = ctx.input(0);
  if (!x.has_rank) {
    ctx.set_output_unknown_rank(0, x.dtype);
    return;
  }
  ctx.set_output(0, x.dtype, x.dims);
  if (outputs > 1) ctx.set_output(1, KILN_DTYPE_BOOL, x.dims);
}

struct Identity {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Identity";
    s.op_type = "Identity";
    s.inputs = {io(AllTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16))};
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
    s.inputs = {io(FloatTypes::mask), io(FloatTypes::mask, KILN_IO_OPTIONAL),
                io(KILN_DTYPE_BIT(KILN_DTYPE_BOOL), KILN_IO_OPTIONAL)};
    s.outputs = {io(FloatTypes::mask), io(KILN_DTYPE_BIT(KILN_DTYPE_BOOL), KILN_IO_OPTIONAL)};
    return s;
  }
  // Training mode draws random masks: not an inference engine's job, and not reproducible against a reference.
  static std::string check(const Node& node) {
    const ValueInfo mode = node.num_inputs() > 2 ? node.input(2) : ValueInfo{};
    if (mode.present() && (!mode.data || *mode.as<bool>())) return "training_mode must be a constant false";
    return "";
  }
  explicit Dropout(const Node&) {}
  static void infer(const Node& node, InferContext& ctx) { infer_like_input0(ctx, node.num_outputs()); }
  void execute(ExecContext& ctx) {
    copy_input0(ctx);
    if (ctx.num_outputs() > 1 && ctx.output(1).present()) {
      const Tensor mask = ctx.output(1);
      std::memset(mask.raw(), 1, static_cast<size_t>(mask.numel()));
    }
  }
};

}  // namespace

const kiln_kernel_desc* identity_kernel() { return describe<Identity>(); }
const kiln_kernel_desc* dropout_kernel() { return describe<Dropout>(); }

}  // namespace kiln::cpu_ref
