// Relu: y = max(x, 0), elementwise.
#include "common/unary.hpp"

namespace kiln::cpu_ref {
namespace {

struct Relu {
  static KernelSpec spec() {
    return unary_spec("Relu", 1, KILN_DTYPES_FLOAT | KILN_DTYPES_SIGNED_INT);
  }
  explicit Relu(const Node&) {}
  static void infer(const Node&, InferContext& ctx) { infer_same_as_input0(ctx); }
  void execute(ExecContext& ctx) {
    map_unary<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_FLOAT16, KILN_DTYPE_INT8, KILN_DTYPE_INT16,
              KILN_DTYPE_INT32, KILN_DTYPE_INT64>(ctx, "Relu", [](auto x) { return x > 0 ? x : decltype(x)(0); });
  }
};

}  // namespace

const kiln_kernel_desc* relu_kernel() { return describe<Relu>(); }

}  // namespace kiln::cpu_ref
