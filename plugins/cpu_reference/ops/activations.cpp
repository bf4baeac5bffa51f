// Activation functions: y = f(x) elementwise, parameters from attributes.
#include <cmath>

#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

struct Relu {
  static constexpr const char* kName = "Relu";
  static constexpr int kSince = 6;
  using Types = SignedTypes;
  explicit Relu(const Node&) {}
  template <class C> C operator()(C x) const { return x > C(0) ? x : C(0); }
};

struct LeakyRelu {
  static constexpr const char* kName = "LeakyRelu";
  static constexpr int kSince = 6;
  using Types = FloatTypes;
  explicit LeakyRelu(const Node& n) : alpha(n.attr_float("alpha", 0.01f)) {}
  template <class C> C operator()(C x) const { return x < 0 ? C(alpha) * x : x; }
  float alpha;
};

struct Elu {
  static constexpr const char* kName = "Elu";
  static constexpr int kSince = 6;
  using Types = FloatTypes;
  explicit Elu(const Node& n) : alpha(n.attr_float("alpha", 1.0f)) {}
  template <class C> C operator()(C x) const { return x < 0 ? C(alpha) * (std::exp(x) - C(1)) : x; }
  float alpha;
};

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

struct Sigmoid {
  static constexpr const char* kName = "Sigmoid";
  static constexpr int kSince = 6;
  using Types = FloatTypes;
  explicit Sigmoid(const Node&) {}
  // Written to avoid exp overflow for large |x|.
  template <class C> C operator()(C x) const {
    return x >= 0 ? C(1) / (C(1) + std::exp(-x)) : std::exp(x) / (C(1) + std::exp(x));
  }
};

struct HardSigmoid {
  static constexpr const char* kName = "HardSigmoid";
  static constexpr int kSince = 6;
  using Types = FloatTypes;
  explicit HardSigmoid(const Node& n) : alpha(n.attr_float("alpha", 0.2f)), beta(n.attr_float("beta", 0.5f)) {}
  template <class C> C operator()(C x) const { return std::max(C(0), std::min(C(1), C(alpha) * x + C(beta))); }
  float alpha, beta;
};

struct HardSwish {
  static constexpr const char* kName = "HardSwish";
  static constexpr int kSince = 14;
  using Types = FloatTypes;
  explicit HardSwish(const Node&) {}
  template <class C> C operator()(C x) const { return x * std::max(C(0), std::min(C(1), x / C(6) + C(0.5))); }
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

struct Tanh {
  static constexpr const char* kName = "Tanh";
  static constexpr int kSince = 6;
  using Types = FloatTypes;
  explicit Tanh(const Node&) {}
  template <class C> C operator()(C x) const { return std::tanh(x); }
};

struct Mish {
  static constexpr const char* kName = "Mish";
  static constexpr int kSince = 18;
  using Types = FloatTypes;
  explicit Mish(const Node&) {}
  template <class C> C operator()(C x) const { return x * std::tanh(x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x))); }
};

struct Gelu {
  static constexpr const char* kName = "Gelu";
  static constexpr int kSince = 20;
  using Types = FloatTypes;
  explicit Gelu(const Node& n) : tanh_approximation(n.attr_string("approximate", "none") == "tanh") {
    const std::string mode = n.attr_string("approximate", "none");
    if (mode != "none" && mode != "tanh") fail_invalid("Gelu: approximate must be 'none' or 'tanh', got '" + mode + "'");
  }
  template <class C> C operator()(C x) const {
    if (tanh_approximation)
      return C(0.5) * x * (C(1) + std::tanh(C(0.7978845608028654) * (x + C(0.044715) * x * x * x)));
    return C(0.5) * x * (C(1) + std::erf(x * C(0.7071067811865476)));
  }
  bool tanh_approximation;
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
