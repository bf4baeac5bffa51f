// Binary arithmetic, comparison and logic with multidirectional broadcasting: z = op(a, b). Opsets before 7
// broadcast through attributes (LegacyBroadcast in common/broadcast.hpp), which the kernels accept too.
#include <cmath>
#include <type_traits>

#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

// Declares a stateless binary op `Name` since opset `since` over `Types` computing `expr` of a and b.
#define KILN_BINARY_OP(Name, since, TypeSet, expr)                     \
  struct Name {                                                       \
    static constexpr const char* kName = #Name;                       \
    static constexpr int kSince = since;                              \
    using Types = TypeSet;                                            \
    explicit Name(const Node&) {}                                     \
    template <class C> C operator()(C a, C b) const { return expr; }  \
  };
// The same with a bool result.
#define KILN_PREDICATE_OP(Name, since, TypeSet, expr)                   \
  struct Name {                                                        \
    static constexpr const char* kName = #Name;                        \
    static constexpr int kSince = since;                               \
    static constexpr kiln_dtype kOutput = KILN_DTYPE_BOOL;             \
    using Types = TypeSet;                                             \
    explicit Name(const Node&) {}                                      \
    template <class C> bool operator()(C a, C b) const { return expr; } \
  };

// Integer overflow wraps (common/integer_math.hpp).
KILN_BINARY_OP(Add, 1, NumericTypes, wrapping_add(a, b))
KILN_BINARY_OP(Sub, 1, NumericTypes, wrapping_sub(a, b))
KILN_BINARY_OP(Mul, 1, NumericTypes, wrapping_mul(a, b))
KILN_BINARY_OP(BitwiseAnd, 18, IntegerTypes, C(a & b))
KILN_BINARY_OP(BitwiseOr, 18, IntegerTypes, C(a | b))
KILN_BINARY_OP(BitwiseXor, 18, IntegerTypes, C(a ^ b))
KILN_PREDICATE_OP(Equal, 1, AllTypes, a == b)
KILN_PREDICATE_OP(Less, 1, NumericTypes, a < b)
KILN_PREDICATE_OP(Greater, 1, NumericTypes, a > b)
KILN_PREDICATE_OP(LessOrEqual, 12, NumericTypes, a <= b)
KILN_PREDICATE_OP(GreaterOrEqual, 12, NumericTypes, a >= b)
KILN_PREDICATE_OP(And, 1, BoolTypes, a && b)
KILN_PREDICATE_OP(Or, 1, BoolTypes, a || b)
KILN_PREDICATE_OP(Xor, 1, BoolTypes, a != b)
#undef KILN_BINARY_OP
#undef KILN_PREDICATE_OP

// Integer division truncates toward zero, as in C, onnxruntime and the ONNX reference (true division, then a
// cast back); division by zero is a clear error and lowest / -1 wraps to lowest.
struct Div {
  static constexpr const char* kName = "Div";
  static constexpr int kSince = 1;
  using Types = NumericTypes;
  explicit Div(const Node&) {}
  template <class C> C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) fail_invalid("Div: integer division by zero");
      if (division_overflows(a, b)) return a;
    }
    return C(a / b);
  }
};

// fmod=0: the result takes the divisor's sign (Python's %); fmod=1: the dividend's (C's fmod).
struct Mod {
  static constexpr const char* kName = "Mod";
  static constexpr int kSince = 10;
  using Types = NumericTypes;
  explicit Mod(const Node& n) : fmod(n.attr_int("fmod", 0) != 0) {}
  template <class C> C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) fail_invalid("Mod: integer modulo by zero");
      if (division_overflows(a, b)) return C(0);
      C r = C(a % b);
      if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = C(r + b);
      return r;
    } else {
      C r = std::fmod(a, b);
      if (!fmod && r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    }
  }
  bool fmod;
};

struct BitShift {
  static constexpr const char* kName = "BitShift";
  static constexpr int kSince = 11;
  using Types = UnsignedTypes;
  explicit BitShift(const Node& n) : left(n.attr_string("direction") == "LEFT") {
    const std::string d = n.attr_string("direction");
    if (d != "LEFT" && d != "RIGHT") fail_invalid("BitShift: direction must be LEFT or RIGHT, got '" + d + "'");
  }
  template <class C> C operator()(C a, C b) const {
    if (b >= sizeof(C) * 8) return C(0);
    using W = wide_unsigned_t<C>;  // uint16 would promote to int, where a left shift can overflow
    return left ? C(W(a) << b) : C(a >> b);
  }
  bool left;
};

}  // namespace

const kiln_kernel_desc* add_kernel() { return describe<BinaryKernel<Add>>(); }
const kiln_kernel_desc* sub_kernel() { return describe<BinaryKernel<Sub>>(); }
const kiln_kernel_desc* mul_kernel() { return describe<BinaryKernel<Mul>>(); }
const kiln_kernel_desc* div_kernel() { return describe<BinaryKernel<Div>>(); }
const kiln_kernel_desc* mod_kernel() { return describe<BinaryKernel<Mod>>(); }
const kiln_kernel_desc* bit_shift_kernel() { return describe<BinaryKernel<BitShift>>(); }
const kiln_kernel_desc* bitwise_and_kernel() { return describe<BinaryKernel<BitwiseAnd>>(); }
const kiln_kernel_desc* bitwise_or_kernel() { return describe<BinaryKernel<BitwiseOr>>(); }
const kiln_kernel_desc* bitwise_xor_kernel() { return describe<BinaryKernel<BitwiseXor>>(); }
const kiln_kernel_desc* equal_kernel() { return describe<BinaryKernel<Equal>>(); }
const kiln_kernel_desc* less_kernel() { return describe<BinaryKernel<Less>>(); }
const kiln_kernel_desc* greater_kernel() { return describe<BinaryKernel<Greater>>(); }
const kiln_kernel_desc* less_or_equal_kernel() { return describe<BinaryKernel<LessOrEqual>>(); }
const kiln_kernel_desc* greater_or_equal_kernel() { return describe<BinaryKernel<GreaterOrEqual>>(); }
const kiln_kernel_desc* logical_and_kernel() { return describe<BinaryKernel<And>>(); }
const kiln_kernel_desc* logical_or_kernel() { return describe<BinaryKernel<Or>>(); }
const kiln_kernel_desc* logical_xor_kernel() { return describe<BinaryKernel<Xor>>(); }

}  // namespace kiln::cpu_ref
