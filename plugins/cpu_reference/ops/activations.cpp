// Activation functions: y = f(x) elementwise, parameters from attributes. Those the fused kernels also apply
// (Relu, LeakyRelu, Elu, Sigmoid, HardSigmoid, HardSwish, Tanh, Gelu) are defined in common/activation.hpp.
#include <cmath>

#include "common/activation.hpp"

namespace kiln::cpu_ref {
namespace {

struct Selu {
  static constexpr const char* kName = "Selu";
  static constexpr int kSince = 6;
  using Types = FloatTypes;
  explicit Selu(const Node& n)
      : alpha(n.attr_float("alpha", 1.67326319217681884765625f)), gamma(n.attr_float("gamma", 1.05070102214813232421875f)) {}
  template <class C> C operator()(C x) const { return C(gamma) * (x > 0 ? x : C(alpha) * (std::exp(x) - C(1))); }
  float alpha, gamma;
};

struct Celu {
  static constexpr const char* kName = "Celu";
  static constexpr int kSince = 12;
  using Types = FloatTypes;
  explicit Celu(const Node& n) : alpha(n.attr_float("alpha", 1.0f)) {}
  template <class C> C operator()(C x) const {
    return std::max(C(0), x) + std::min(C(0), C(alpha) * (std::exp(x / C(alpha)) - C(1)));
  }
  float alpha;
};

struct Softplus {
  static constexpr const char* kName = "Softplus";
  static constexpr int kSince = 1;
  using Types = FloatTypes;
  explicit Softplus(const Node&) {}
  template <class C> C operator()(C x) const { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
};

struct Softsign {
  static constexpr const char* kName = "Softsign";
  static constexpr int kSince = 1;
  using Types = FloatTypes;
  explicit Softsign(const Node&) {}
  template <class C> C operator()(C x) const { return x / (C(1) + std::abs(x)); }
};

struct ThresholdedRelu {
  static constexpr const char* kName = "ThresholdedRelu";
  static constexpr int kSince = 10;
  using Types = FloatTypes;
  explicit ThresholdedRelu(const Node& n) : alpha(n.attr_float("alpha", 1.0f)) {}
  template <class C> C operator()(C x) const { return x > C(alpha) ? x : C(0); }
  float alpha;
};

struct Mish {
  static constexpr const char* kName = "Mish";
  static constexpr int kSince = 18;
  using Types = FloatTypes;
  explicit Mish(const Node&) {}
  template <class C> C operator()(C x) const { return x * std::tanh(x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x))); }
};

struct Shrink {
  static constexpr const char* kName = "Shrink";
  static constexpr int kSince = 9;
  using Types = NumericTypes;
  explicit Shrink(const Node& n) : bias(n.attr_float("bias", 0.0f)), lambd(n.attr_float("lambd", 0.5f)) {}
  template <class C> C operator()(C x) const {
    const double v = static_cast<double>(x);
    return v < -lambd ? static_cast<C>(v + bias) : v > lambd ? static_cast<C>(v - bias) : C(0);
  }
  float bias, lambd;
};

}  // namespace

const kiln_kernel_desc* relu_kernel() { return describe<UnaryKernel<Relu>>(); }
const kiln_kernel_desc* leaky_relu_kernel() { return describe<UnaryKernel<LeakyRelu>>(); }
const kiln_kernel_desc* elu_kernel() { return describe<UnaryKernel<Elu>>(); }
const kiln_kernel_desc* selu_kernel() { return describe<UnaryKernel<Selu>>(); }
const kiln_kernel_desc* celu_kernel() { return describe<UnaryKernel<Celu>>(); }
const kiln_kernel_desc* sigmoid_kernel() { return describe<UnaryKernel<Sigmoid>>(); }
const kiln_kernel_desc* hard_sigmoid_kernel() { return describe<UnaryKernel<HardSigmoid>>(); }
const kiln_kernel_desc* hard_swish_kernel() { return describe<UnaryKernel<HardSwish>>(); }
const kiln_kernel_desc* softplus_kernel() { return describe<UnaryKernel<Softplus>>(); }
const kiln_kernel_desc* softsign_kernel() { return describe<UnaryKernel<Softsign>>(); }
const kiln_kernel_desc* thresholded_relu_kernel() { return describe<UnaryKernel<ThresholdedRelu>>(); }
const kiln_kernel_desc* tanh_kernel() { return describe<UnaryKernel<Tanh>>(); }
const kiln_kernel_desc* mish_kernel() { return describe<UnaryKernel<Mish>>(); }
const kiln_kernel_desc* gelu_kernel() { return describe<UnaryKernel<Gelu>>(); }
const kiln_kernel_desc* shrink_kernel() { return describe<UnaryKernel<Shrink>>(); }

}  // namespace kiln::cpu_ref
