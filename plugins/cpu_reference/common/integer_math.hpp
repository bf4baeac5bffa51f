// Integer arithmetic without undefined behaviour: signed overflow wraps (two's complement, as numpy and
// onnxruntime behave in practice), narrow types never overflow through promotion to int, and float -> integer
// conversions saturate instead of being undefined out of range. For floating-point C each helper is the plain
// operation.
#ifndef KILN_CPU_REF_INTEGER_MATH_HPP
#define KILN_CPU_REF_INTEGER_MATH_HPP

#include <cmath>
#include <limits>
#include <type_traits>

namespace kiln::cpu_ref {

// The unsigned type integer C computes in: at least `unsigned`, so uint16 * uint16 cannot overflow an int.
template <class C>
using wide_unsigned_t = std::conditional_t<(sizeof(C) < sizeof(unsigned)), unsigned, std::make_unsigned_t<C>>;

template <class C> constexpr bool is_int_v = std::is_integral_v<C> && !std::is_same_v<C, bool>;

template <class C> C wrapping_add(C a, C b) {
  if constexpr (is_int_v<C>) return static_cast<C>(wide_unsigned_t<C>(a) + wide_unsigned_t<C>(b));
  else return a + b;
}
template <class C> C wrapping_sub(C a, C b) {
  if constexpr (is_int_v<C>) return static_cast<C>(wide_unsigned_t<C>(a) - wide_unsigned_t<C>(b));
  else return a - b;
}
template <class C> C wrapping_mul(C a, C b) {
  if constexpr (is_int_v<C>) return static_cast<C>(wide_unsigned_t<C>(a) * wide_unsigned_t<C>(b));
  else return a * b;
}
template <class C> C wrapping_neg(C a) {
  if constexpr (is_int_v<C>) return static_cast<C>(wide_unsigned_t<C>(0) - wide_unsigned_t<C>(a));
  else return -a;
}

// True for the one signed division that overflows: lowest / -1.
template <class C> bool division_overflows(C a, C b) {
  if constexpr (is_int_v<C> && std::is_signed_v<C>) return b == C(-1) && a == std::numeric_limits<C>::lowest();
  else return false;
}

// Floating value -> integer I, truncating toward zero; NaN gives 0 and out-of-range values clamp.
template <class I, class F> I saturate_cast(F value) {
  const double x = static_cast<double>(value);
  if (std::isnan(x)) return I(0);
  // Both bounds are powers of two (or zero), so they are exact in double.
  const double lowest = static_cast<double>(std::numeric_limits<I>::lowest());
  const double past_max = (static_cast<double>(std::numeric_limits<I>::max() / 2) + 1.0) * 2.0;
  if (x <= lowest) return std::numeric_limits<I>::lowest();
  if (x >= past_max) return std::numeric_limits<I>::max();
  return static_cast<I>(x);
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_INTEGER_MATH_HPP
