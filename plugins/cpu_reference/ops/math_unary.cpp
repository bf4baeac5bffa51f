// Unary math: y = f(x) elementwise.
#include <cmath>
#include <type_traits>

#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

// Declares a stateless unary op `Name` since opset `since` over `Types` computing `expr` of x.
#define KILN_UNARY_OP(Name, since, TypeSet, expr)          \
  struct Name {                                            \
    static constexpr const char* kName = #Name;            \
    static constexpr int kSince = since;                   \
    using Types = TypeSet;                                 \
    explicit Name(const Node&) {}                          \
    template <class C> C operator()(C x) const { return expr; } \
  };

// Integer Abs/Neg of the lowest value wrap to itself, as in numpy.
KILN_UNARY_OP(Abs, 6, NumericTypes, (std::is_unsigned_v<C> ? x : (x < C(0) ? wrapping_neg(x) : x)))
KILN_UNARY_OP(Neg, 6, SignedTypes, wrapping_neg(x))
KILN_UNARY_OP(Reciprocal, 6, FloatTypes, C(1) / x)
KILN_UNARY_OP(Sqrt, 6, FloatTypes, std::sqrt(x))
KILN_UNARY_OP(Exp, 6, FloatTypes, std::exp(x))
KILN_UNARY_OP(Log, 6, FloatTypes, std::log(x))
KILN_UNARY_OP(Erf, 9, NumericTypes, static_cast<C>(std::erf(static_cast<double>(x))))
KILN_UNARY_OP(Sign, 9, NumericTypes, x != x ? x : C((x > C(0)) - (x < C(0))))  // NaN stays NaN
KILN_UNARY_OP(Floor, 6, FloatTypes, std::floor(x))
KILN_UNARY_OP(Ceil, 6, FloatTypes, std::ceil(x))
KILN_UNARY_OP(Round, 11, FloatTypes, std::nearbyint(x))  // ties to even in the default rounding mode
KILN_UNARY_OP(Sin, 7, FloatTypes, std::sin(x))
KILN_UNARY_OP(Cos, 7, FloatTypes, std::cos(x))
KILN_UNARY_OP(Tan, 7, FloatTypes, std::tan(x))
KILN_UNARY_OP(Asin, 7, FloatTypes, std::asin(x))
KILN_UNARY_OP(Acos, 7, FloatTypes, std::acos(x))
KILN_UNARY_OP(Atan, 7, FloatTypes, std::atan(x))
KILN_UNARY_OP(Sinh, 9, FloatTypes, std::sinh(x))
KILN_UNARY_OP(Cosh, 9, FloatTypes, std::cosh(x))
KILN_UNARY_OP(Asinh, 9, FloatTypes, std::asinh(x))
KILN_UNARY_OP(Acosh, 9, FloatTypes, std::acosh(x))
KILN_UNARY_OP(Atanh, 9, FloatTypes, std::atanh(x))
KILN_UNARY_OP(BitwiseNot, 18, IntegerTypes, C(~x))
#undef KILN_UNARY_OP

struct Not {
  static constexpr const char* kName = "Not";
  static constexpr int kSince = 1;
  using Types = BoolTypes;
  explicit Not(const Node&) {}
  bool operator()(bool x) const { return !x; }
};

struct IsNaN {
  static constexpr const char* kName = "IsNaN";
  static constexpr int kSince = 9;
  static constexpr kiln_dtype kOutput = KILN_DTYPE_BOOL;
  using Types = FloatTypes;
  explicit IsNaN(const Node&) {}
  template <class C> bool operator()(C x) const { return std::isnan(x); }
};

struct IsInf {
  static constexpr const char* kName = "IsInf";
  static constexpr int kSince = 10;
  static constexpr kiln_dtype kOutput = KILN_DTYPE_BOOL;
  using Types = FloatTypes;
  explicit IsInf(const Node& n)
      : negative(n.attr_int("detect_negative", 1) != 0), positive(n.attr_int("detect_positive", 1) != 0) {}
  template <class C> bool operator()(C x) const { return std::isinf(x) && (x > 0 ? positive : negative); }
  bool negative, positive;
};

}  // namespace

const kiln_kernel_desc* abs_kernel() { return describe<UnaryKernel<Abs>>(); }
const kiln_kernel_desc* neg_kernel() { return describe<UnaryKernel<Neg>>(); }
const kiln_kernel_desc* reciprocal_kernel() { return describe<UnaryKernel<Reciprocal>>(); }
const kiln_kernel_desc* sqrt_kernel() { return describe<UnaryKernel<Sqrt>>(); }
const kiln_kernel_desc* exp_kernel() { return describe<UnaryKernel<Exp>>(); }
const kiln_kernel_desc* log_kernel() { return describe<UnaryKernel<Log>>(); }
const kiln_kernel_desc* erf_kernel() { return describe<UnaryKernel<Erf>>(); }
const kiln_kernel_desc* sign_kernel() { return describe<UnaryKernel<Sign>>(); }
const kiln_kernel_desc* floor_kernel() { return describe<UnaryKernel<Floor>>(); }
const kiln_kernel_desc* ceil_kernel() { return describe<UnaryKernel<Ceil>>(); }
const kiln_kernel_desc* round_kernel() { return describe<UnaryKernel<Round>>(); }
const kiln_kernel_desc* sin_kernel() { return describe<UnaryKernel<Sin>>(); }
const kiln_kernel_desc* cos_kernel() { return describe<UnaryKernel<Cos>>(); }
const kiln_kernel_desc* tan_kernel() { return describe<UnaryKernel<Tan>>(); }
const kiln_kernel_desc* asin_kernel() { return describe<UnaryKernel<Asin>>(); }
const kiln_kernel_desc* acos_kernel() { return describe<UnaryKernel<Acos>>(); }
const kiln_kernel_desc* atan_kernel() { return describe<UnaryKernel<Atan>>(); }
const kiln_kernel_desc* sinh_kernel() { return describe<UnaryKernel<Sinh>>(); }
const kiln_kernel_desc* cosh_kernel() { return describe<UnaryKernel<Cosh>>(); }
const kiln_kernel_desc* asinh_kernel() { return describe<UnaryKernel<Asinh>>(); }
const kiln_kernel_desc* acosh_kernel() { return describe<UnaryKernel<Acosh>>(); }
const kiln_kernel_desc* atanh_kernel() { return describe<UnaryKernel<Atanh>>(); }
const kiln_kernel_desc* bitwise_not_kernel() { return describe<UnaryKernel<BitwiseNot>>(); }
const kiln_kernel_desc* logical_not_kernel() { return describe<UnaryKernel<Not>>(); }
const kiln_kernel_desc* is_nan_kernel() { return describe<UnaryKernel<IsNaN>>(); }
const kiln_kernel_desc* is_inf_kernel() { return describe<UnaryKernel<IsInf>>(); }

}  // namespace kiln::cpu_ref
