// com.example::Swish, y = x * sigmoid(beta * x): a custom op that ONNX does not define, so the kernel
// must give its own shape function. A complete plugin in one file.
#include <cmath>

#include "kiln/plugin.hpp"

namespace {

struct Swish {
  static kiln::KernelSpec spec() {
    kiln::KernelSpec s;
    s.name = "com.example.swish";
    s.domain = "com.example";
    s.op_type = "Swish";
    s.opset_min = 1;
    s.opset_max = 1;
    s.inputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    s.outputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    return s;
  }

  // Decline what this kernel does not do, with a reason `kiln run --verbose` shows.
  static std::string check(const kiln::Node& node) {
    return node.attr_float("beta", 1.0f) > 0 ? "" : "beta must be positive";
  }

  static void infer(const kiln::Node&, kiln::InferContext& ctx) {
    const kiln::ValueInfo x = ctx.input(0);
    ctx.set_output(0, x.dtype, x.dims);
  }

  explicit Swish(const kiln::Node& node) : beta(node.attr_float("beta", 1.0f)) {}

  void execute(kiln::ExecContext& ctx) {
    const kiln::Tensor x = ctx.input(0), y = ctx.output(0);
    const float* in = x.data<float>();
    float* out = y.data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = in[i] / (1.0f + std::exp(-beta * in[i]));
  }

  float beta;
};

const kiln::KernelFactory kKernels[] = {&kiln::describe<Swish>};

}  // namespace

KILN_DEFINE_PLUGIN("com.example.swish", "1.0.0", "Swish activation (an example out-of-tree plugin)", kKernels)
