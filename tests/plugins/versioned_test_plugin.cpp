// One plugin built twice with the same name and two versions, for the plan tests: a plan built with one
// version must refuse to run with the other, naming both. KILN_TEST_VERSION is "1.0.0" or "2.0.0".
//   kiln.test.versioned.Scale   kiln.test::Scale, y = 2 * x (float32, any shape)
#include "kiln/plugin.hpp"

#ifndef KILN_TEST_VERSION
#error "define KILN_TEST_VERSION"
#endif

namespace {

struct Scale {
  static kiln::KernelSpec spec() {
    kiln::KernelSpec s;
    s.name = "kiln.test.versioned.Scale";
    s.domain = "kiln.test";
    s.op_type = "Scale";
    s.inputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    s.outputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    return s;
  }
  explicit Scale(const kiln::Node&) {}
  static void infer(const kiln::Node&, kiln::InferContext& ctx) {
    ctx.set_output(0, ctx.input(0).dtype, ctx.input(0).dims);
  }
  void execute(kiln::ExecContext& ctx) {
    const float* x = ctx.input(0).data<float>();
    float* y = ctx.output(0).data<float>();
    for (int64_t i = 0; i < ctx.output(0).numel(); ++i) y[i] = 2.0f * x[i];
  }
};

const kiln::KernelFactory kKernels[] = {&kiln::describe<Scale>};

}  // namespace

KILN_DEFINE_PLUGIN("kiln.test.versioned", KILN_TEST_VERSION, "one kernel, built as two versions for the plan tests",
                   kKernels)
