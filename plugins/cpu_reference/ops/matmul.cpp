// MatMul (numpy semantics: batched, broadcast batch dims, 1-D operands promoted) and Gemm
// (Y = alpha * A' * B' + beta * C, C broadcast to [M, N]). The math lives in common/matmul_core.hpp, which
// the fused GemmFused and MatMulAddFused share.
#include "common/matmul_core.hpp"

namespace kiln::cpu_ref {
namespace {

struct MatMul {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.MatMul";
    s.op_type = "MatMul";
    s.inputs = {io(MatMulTypes::mask), io(MatMulTypes::mask)};
    s.outputs = {io(MatMulTypes::mask)};
    return s;
  }
  explicit MatMul(const Node&) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo a = ctx.input(0), b = ctx.input(1);
    if (!a.has_rank || !b.has_rank) return ctx.set_output_unknown_rank(0, a.dtype);
    ctx.set_output(0, a.dtype, matmul_shape(a.dims, b.dims));
  }
  void execute(ExecContext& ctx) {
    const Tensor a = ctx.input(0), b = ctx.input(1), y = ctx.output(0);
    MatMulTypes::dispatch(y.dtype(), "MatMul", [&](auto tag) {
      using T = decltype(tag);
      store_as<T>(matmul_product<T>(a, b, y), y);
    });
  }
};

struct Gemm {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Gemm";
    s.op_type = "Gemm";
    s.opset_min = 6;  // opset 6's `broadcast` flag only permits what is always done here
    s.inputs = {io(MatMulTypes::mask), io(MatMulTypes::mask), io(MatMulTypes::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(MatMulTypes::mask)};
    return s;
  }
  explicit Gemm(const Node& node) : gemm(node) {}
  static void infer(const Node& node, InferContext& ctx) { GemmAttrs(node).infer(ctx); }
  void execute(ExecContext& ctx) {
    const Tensor a = ctx.input(0), b = ctx.input(1), y = ctx.output(0), c = ctx.input(2);
    MatMulTypes::dispatch(y.dtype(), "Gemm", [&](auto tag) {
      using T = decltype(tag);
      store_as<T>(gemm.evaluate<T>(a, b, ctx.has_input(2) ? &c : nullptr, y), y);
    });
  }
  GemmAttrs gemm;
};

}  // namespace

const kiln_kernel_desc* mat_mul_kernel() { return describe<MatMul>(); }
const kiln_kernel_desc* gemm_kernel() { return describe<Gemm>(); }

}  // namespace kiln::cpu_ref
