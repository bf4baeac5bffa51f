// Activations and unary math on float32/float16: y = f(x) elementwise, in float, any layout (common/strided.cuh).
// Each op is a functor built from the node on the host (to read its attributes) and applied on the device. The
// formulas follow the reference pack (plugins/cpu_reference/common/activation.hpp, ops/math_unary.cpp).
#include <cuda_runtime.h>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/elementwise_types.cuh"
#include "common/strided.cuh"
#include "kiln/plugin.hpp"

namespace kiln::cuda {
namespace {

using namespace elementwise;

struct Relu {
  static constexpr const char* kName = "Relu";
  static constexpr int kSince = 6;
  explicit Relu(const Node&) {}
  __device__ float operator()(float x) const { return x > 0.0f ? x : 0.0f; }
};

struct LeakyRelu {
  static constexpr const char* kName = "LeakyRelu";
  static constexpr int kSince = 6;
  explicit LeakyRelu(const Node& n) : alpha(n.attr_float("alpha", 0.01f)) {}
  __device__ float operator()(float x) const { return x < 0.0f ? alpha * x : x; }
  float alpha;
};

struct Sigmoid {
  static constexpr const char* kName = "Sigmoid";
  static constexpr int kSince = 6;
  explicit Sigmoid(const Node&) {}
  // exp of a non-positive number only, so nothing overflows for large |x|.
  __device__ float operator()(float x) const {
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    const float e = expf(x);
    return e / (1.0f + e);
  }
};

struct Tanh {
  static constexpr const char* kName = "Tanh";
  static constexpr int kSince = 6;
  explicit Tanh(const Node&) {}
  __device__ float operator()(float x) const { return tanhf(x); }
};

struct Exp {
  static constexpr const char* kName = "Exp";
  static constexpr int kSince = 6;
  explicit Exp(const Node&) {}
  __device__ float operator()(float x) const { return expf(x); }
};

struct Log {
  static constexpr const char* kName = "Log";
  static constexpr int kSince = 6;
  explicit Log(const Node&) {}
  __device__ float operator()(float x) const { return logf(x); }
};

struct Sqrt {
  static constexpr const char* kName = "Sqrt";
  static constexpr int kSince = 6;
  explicit Sqrt(const Node&) {}
  __device__ float operator()(float x) const { return sqrtf(x); }
};

struct Erf {
  static constexpr const char* kName = "Erf";
  static constexpr int kSince = 9;
  explicit Erf(const Node&) {}
  __device__ float operator()(float x) const { return erff(x); }
};

struct Neg {
  static constexpr const char* kName = "Neg";
  static constexpr int kSince = 6;
  explicit Neg(const Node&) {}
  __device__ float operator()(float x) const { return -x; }
};

struct Abs {
  static constexpr const char* kName = "Abs";
  static constexpr int kSince = 6;
  explicit Abs(const Node&) {}
  __device__ float operator()(float x) const { return fabsf(x); }
};

struct Reciprocal {
  static constexpr const char* kName = "Reciprocal";
  static constexpr int kSince = 6;
  explicit Reciprocal(const Node&) {}
  __device__ float operator()(float x) const { return 1.0f / x; }
};

struct Softplus {
  static constexpr const char* kName = "Softplus";
  static constexpr int kSince = 1;
  explicit Softplus(const Node&) {}
  // log(1 + e^x) without overflow: for x > 0 it is x + log(1 + e^-x).
  __device__ float operator()(float x) const { return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x)); }
};

struct HardSigmoid {
  static constexpr const char* kName = "HardSigmoid";
  static constexpr int kSince = 6;
  explicit HardSigmoid(const Node& n) : alpha(n.attr_float("alpha", 0.2f)), beta(n.attr_float("beta", 0.5f)) {}
  __device__ float operator()(float x) const { return std_max(0.0f, std_min(1.0f, alpha * x + beta)); }
  float alpha, beta;
};

struct HardSwish {
  static constexpr const char* kName = "HardSwish";
  static constexpr int kSince = 14;
  explicit HardSwish(const Node&) {}
  __device__ float operator()(float x) const { return x * std_max(0.0f, std_min(1.0f, x / 6.0f + 0.5f)); }
};

struct Elu {
  static constexpr const char* kName = "Elu";
  static constexpr int kSince = 6;
  explicit Elu(const Node& n) : alpha(n.attr_float("alpha", 1.0f)) {}
  __device__ float operator()(float x) const { return x < 0.0f ? alpha * expm1f(x) : x; }
  float alpha;
};

struct Selu {
  static constexpr const char* kName = "Selu";
  static constexpr int kSince = 6;
  explicit Selu(const Node& n)
      : alpha(n.attr_float("alpha", 1.67326319217681884765625f)), gamma(n.attr_float("gamma", 1.05070102214813232421875f)) {}
  __device__ float operator()(float x) const { return gamma * (x > 0.0f ? x : alpha * expm1f(x)); }
  float alpha, gamma;
};

// Gelu (opset 20): the exact form 0.5 x (1 + erf(x / sqrt 2)), or with approximate="tanh"
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
struct Gelu {
  static constexpr const char* kName = "Gelu";
  static constexpr int kSince = 20;
  static std::string check(const Node& n) {
    const std::string mode = n.attr_string("approximate", "none");
    return mode == "none" || mode == "tanh" ? "" : "Gelu: approximate must be 'none' or 'tanh', got '" + mode + "'";
  }
  explicit Gelu(const Node& n) : tanh_approximation(n.attr_string("approximate", "none") == "tanh") {
    if (const std::string why = check(n); !why.empty()) fail_invalid(why);
  }
  __device__ float operator()(float x) const {
    if (tanh_approximation) return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    return 0.5f * x * (1.0f + erff(x * 0.7071067811865476f));
  }
  bool tanh_approximation;
};

template <class Op, class = void> struct has_check : std::false_type {};
template <class Op>
struct has_check<Op, std::void_t<decltype(Op::check(std::declval<const Node&>()))>> : std::true_type {};

// y = Op(x) for float32 and float16, in any layout; y may be written over x.
template <class Op>
struct UnaryKernel {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = std::string("kiln.cuda.") + Op::kName;
    s.op_type = Op::kName;
    s.opset_min = Op::kSince;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_INPLACE_0 | KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {io_layouts(kFloatDtypes, kAnyLayout)};
    s.outputs = {io_layouts(kFloatDtypes, kAnyLayout)};
    return s;
  }
  static std::string check(const Node& node) {
    if (std::string why = mixed_float_dtypes(node, {0}); !why.empty()) return why;
    if (std::string why = rank_too_high(node, 0); !why.empty()) return why;
    if constexpr (has_check<Op>::value) return Op::check(node);
    return "";
  }
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (x.has_rank) ctx.set_output(0, x.dtype, x.dims);
    else ctx.set_output_unknown_rank(0, x.dtype);
  }
  explicit UnaryKernel(const Node& node) : op(node) {}
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    require_dtype(x, y.dtype(), Op::kName, "the input");
    dispatch_float(y.dtype(), Op::kName, [&](auto tag) {
      using T = decltype(tag);
      const std::vector<int64_t> dims = y.shape();
      launch_elementwise(Op::kName, ThroughFloat<T, Op>{op}, dims, output_operand<T>(y), stream_of(ctx),
                         input_operand<T>(x, dims, Op::kName));
    });
  }
  Op op;
};

}  // namespace

const kiln_kernel_desc* relu_kernel() { return describe<UnaryKernel<Relu>>(); }
const kiln_kernel_desc* leaky_relu_kernel() { return describe<UnaryKernel<LeakyRelu>>(); }
const kiln_kernel_desc* sigmoid_kernel() { return describe<UnaryKernel<Sigmoid>>(); }
const kiln_kernel_desc* tanh_kernel() { return describe<UnaryKernel<Tanh>>(); }
const kiln_kernel_desc* exp_kernel() { return describe<UnaryKernel<Exp>>(); }
const kiln_kernel_desc* log_kernel() { return describe<UnaryKernel<Log>>(); }
const kiln_kernel_desc* sqrt_kernel() { return describe<UnaryKernel<Sqrt>>(); }
const kiln_kernel_desc* erf_kernel() { return describe<UnaryKernel<Erf>>(); }
const kiln_kernel_desc* neg_kernel() { return describe<UnaryKernel<Neg>>(); }
const kiln_kernel_desc* abs_kernel() { return describe<UnaryKernel<Abs>>(); }
const kiln_kernel_desc* reciprocal_kernel() { return describe<UnaryKernel<Reciprocal>>(); }
const kiln_kernel_desc* softplus_kernel() { return describe<UnaryKernel<Softplus>>(); }
const kiln_kernel_desc* hard_sigmoid_kernel() { return describe<UnaryKernel<HardSigmoid>>(); }
const kiln_kernel_desc* hard_swish_kernel() { return describe<UnaryKernel<HardSwish>>(); }
const kiln_kernel_desc* gelu_kernel() { return describe<UnaryKernel<Gelu>>(); }
const kiln_kernel_desc* elu_kernel() { return describe<UnaryKernel<Elu>>(); }
const kiln_kernel_desc* selu_kernel() { return describe<UnaryKernel<Selu>>(); }

}  // namespace kiln::cuda
