// Kernels the graph-pass tests rely on, independent of the reference pack's own fused kernels:
//   kiln.test.passes.AddAct      fused Add -> Relu|LeakyRelu (same-shape inputs only: its check declines
//                                broadcasting, so the tests see a declined fusion left as it was);
//   kiln.test.passes.MulAddRelu  fused Mul -> [Add] -> Relu, Add's other operand at either position;
//   kiln.test.passes.Counter     kiln.test::Counter, no inputs, a different result per run: flagged NO_FOLD.
#include <cmath>

#include "kiln/plugin.hpp"

namespace {

using kiln::ExecContext;
using kiln::InferContext;
using kiln::KernelSpec;
using kiln::Node;

const uint64_t kFloat = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32);

void infer_like_input0(const Node&, InferContext& ctx) { ctx.set_output(0, ctx.input(0).dtype, ctx.input(0).dims); }

// Index of the pattern step node whose op_type is `op`, or -1 (absent optional steps are left out).
int step_of(const Node& fused, const std::string& op) {
  for (int k = 0; fused.host()->node_pattern_step(fused.handle(), k); ++k)
    if (fused.pattern_step(k).op_type() == op) return k;
  return -1;
}

struct AddAct {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.test.passes.AddAct";
    s.op_type = "AddAct";
    s.inputs = {kiln::io(kFloat), kiln::io(kFloat)};
    s.outputs = {kiln::io(kFloat)};
    s.pattern = {{"", "Add", -1, 0}, {"", "Relu|LeakyRelu", 0, 0}};
    return s;
  }
  static std::string check(const Node& node) {
    const kiln::ValueInfo a = node.input(0), b = node.input(1);
    if (!a.shape_known() || a.dims != b.dims) return "needs two inputs of one known shape (no broadcasting)";
    return "";
  }
  explicit AddAct(const Node& node) {
    const Node act = node.pattern_step(1);
    if (act.op_type() == "LeakyRelu") slope = act.attr_float("alpha", 0.01f);
  }
  static void infer(const Node& n, InferContext& ctx) { infer_like_input0(n, ctx); }
  void execute(ExecContext& ctx) {
    const float* a = ctx.input(0).data<float>();
    const float* b = ctx.input(1).data<float>();
    float* y = ctx.output(0).data<float>();
    for (int64_t i = 0; i < ctx.output(0).numel(); ++i) {
      const float sum = a[i] + b[i];
      y[i] = sum >= 0 ? sum : slope * sum;
    }
  }
  float slope = 0.f;
};

struct MulAddRelu {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.test.passes.MulAddRelu";
    s.op_type = "MulAddRelu";
    s.inputs = {kiln::io(kFloat), kiln::io(kFloat), kiln::io(kFloat, KILN_IO_OPTIONAL)};
    s.outputs = {kiln::io(kFloat)};
    s.pattern = {{"", "Mul", -1, 0}, {"", "Add", -1, KILN_PATTERN_OPTIONAL}, {"", "Relu", 0, 0}};
    return s;
  }
  static std::string check(const Node& node) {
    for (int i = 0; i < node.num_inputs(); ++i)
      if (!node.input(i).shape_known() || node.input(i).dims != node.input(0).dims) return "needs equal shapes";
    return "";
  }
  explicit MulAddRelu(const Node& node) : has_addend(step_of(node, "Add") >= 0) {}
  static void infer(const Node& n, InferContext& ctx) { infer_like_input0(n, ctx); }
  void execute(ExecContext& ctx) {
    const float* a = ctx.input(0).data<float>();
    const float* b = ctx.input(1).data<float>();
    const float* c = has_addend ? ctx.input(2).data<float>() : nullptr;
    float* y = ctx.output(0).data<float>();
    for (int64_t i = 0; i < ctx.output(0).numel(); ++i) y[i] = std::fmax(0.f, a[i] * b[i] + (c ? c[i] : 0.f));
  }
  bool has_addend;
};

struct Counter {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.test.passes.Counter";
    s.domain = "kiln.test";
    s.op_type = "Counter";
    s.flags = KILN_KERNEL_NO_FOLD;
    s.outputs = {kiln::io(kFloat)};
    return s;
  }
  explicit Counter(const Node&) {}
  static void infer(const Node&, InferContext& ctx) { ctx.set_output(0, KILN_DTYPE_FLOAT32, {2}); }
  void execute(ExecContext& ctx) {
    static float runs = 0;
    runs += 1;
    ctx.output(0).data<float>()[0] = runs;
    ctx.output(0).data<float>()[1] = -runs;
  }
};

const kiln::KernelFactory kKernels[] = {&kiln::describe<AddAct>, &kiln::describe<MulAddRelu>,
                                        &kiln::describe<Counter>};

}  // namespace

KILN_DEFINE_PLUGIN("kiln.test.passes", "0.0.1", "kernels for the graph-pass tests", kKernels)
