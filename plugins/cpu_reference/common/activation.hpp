// Activation functions, one functor each: built from the node (to read its attributes) and applied per element
// in the compute type. ops/activations.cpp registers each as a kernel; the fused kernels (ops/fused_*.cpp) apply
// the one their pattern's last step names, through Activation below.
#ifndef KILN_CPU_REF_ACTIVATION_HPP
#define KILN_CPU_REF_ACTIVATION_HPP

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <variant>

#include "common/elementwise.hpp"
#include "common/nn_values.hpp"

namespace kiln::cpu_ref {

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

struct Tanh {
  static constexpr const char* kName = "Tanh";
  static constexpr int kSince = 6;
  using Types = FloatTypes;
  explicit Tanh(const Node&) {}
  template <class C> C operator()(C x) const { return std::tanh(x); }
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

// Clip with its bounds known when the kernel is created: attributes before opset 11, constant inputs 1 and 2
// after (a fused kernel cannot read bounds that only arrive at run time: check() declines those).
struct ClipBounds {
  static constexpr const char* kName = "Clip";
  static constexpr int kSince = 6;
  explicit ClipBounds(const Node& n) {
    if (n.opset() < 11) {
      // Clip-6's defaults are the float range, as in ops/clip.cpp.
      lo = n.attr_float("min", std::numeric_limits<float>::lowest());
      hi = n.attr_float("max", std::numeric_limits<float>::max());
      return;
    }
    if (n.has_input(1)) lo = bound(n, 1);
    if (n.has_input(2)) hi = bound(n, 2);
  }
  static double bound(const Node& n, int index) {
    const std::vector<double> v = values_as<double>(n.input(index), "Clip");
    if (v.size() != 1) fail_invalid("Clip: a bound must hold one value, got " + std::to_string(v.size()));
    return v[0];
  }
  // Bounds only known at run time: why a fused kernel cannot take this Clip, or "".
  static std::string unknown_bounds(const Node& n) {
    for (int i = 1; n.opset() >= 11 && i < 3; ++i)
      if (n.has_input(i) && !n.input(i).data) return "Clip's bound '" + n.input(i).name + "' is not a constant";
    return "";
  }
  template <class C> C operator()(C x) const { return std::min(std::max(x, static_cast<C>(lo)), static_cast<C>(hi)); }
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
};

// The activation ending a fused pattern, or none. Every alternative is one of the functors above.
class Activation {
  struct None {
    static constexpr const char* kName = "";
    static constexpr int kSince = 1;
    None() = default;
    explicit None(const Node&) {}
    template <class C> C operator()(C x) const { return x; }
  };
  using Op = std::variant<None, Relu, LeakyRelu, ClipBounds, Sigmoid, Tanh, HardSigmoid, HardSwish, Elu, Gelu>;

 public:
  // The pattern step's op_type: every supported activation, "Relu|LeakyRelu|Clip|...".
  static std::string alternatives() {
    std::string ops;
    for_each_op([&](auto tag) {
      using A = typename decltype(tag)::type;
      if (*A::kName) ops += (ops.empty() ? "" : "|") + std::string(A::kName);
    });
    return ops;
  }
  static bool supports(const std::string& op_type) { return known(op_type, 1000); }

  // Why `step` cannot be fused, or "".
  static std::string check(const Node& step) {
    const std::string op = step.op_type();
    if (!step.domain().empty() || !supports(op)) return "activation " + op + " is not one the fused kernels apply";
    if (!known(op, step.opset())) return op + " at opset " + std::to_string(step.opset()) + " is not supported";
    if (op == "Clip") return ClipBounds::unknown_bounds(step);
    try {
      (void)Activation(step);  // reads and validates the attributes (Gelu's approximate, ...)
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  Activation() = default;
  explicit Activation(const Node& step) {
    for_each_op([&](auto tag) {
      using A = typename decltype(tag)::type;
      if (*A::kName && step.op_type() == A::kName) op_.template emplace<A>(step);
    });
  }

  // values[i] = f(values[i]) for i in [0, count).
  template <class C> void apply(C* values, int64_t count) const {
    std::visit(
        [&](const auto& f) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(f)>, None>)
            for (int64_t i = 0; i < count; ++i) values[i] = f(values[i]);
        },
        op_);
  }

 private:
  template <class T> struct Tag { using type = T; };
  template <class Fn, size_t... I> static void for_each_op(Fn&& fn, std::index_sequence<I...>) {
    (fn(Tag<std::variant_alternative_t<I, Op>>{}), ...);
  }
  template <class Fn> static void for_each_op(Fn&& fn) { for_each_op(fn, std::make_index_sequence<std::variant_size_v<Op>>{}); }
  // Whether op_type is an activation here at that opset.
  static bool known(const std::string& op_type, int opset) {
    bool found = false;
    for_each_op([&](auto tag) {
      using A = typename decltype(tag)::type;
      found = found || (*A::kName && op_type == A::kName && opset >= A::kSince);
    });
    return found;
  }

  Op op_;
};

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_ACTIVATION_HPP
