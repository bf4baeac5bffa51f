// Converting one element between the pack's dtypes, with ONNX Cast semantics: bool is "nonzero" (NaN is true),
// floating -> integer truncates toward zero (saturating, NaN -> 0, where C++ would be undefined), and anything ->
// float16 rounds once, to nearest even.
#ifndef KILN_CPU_REF_CONVERT_HPP
#define KILN_CPU_REF_CONVERT_HPP

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "common/compute_type.hpp"
#include "common/integer_math.hpp"
#include "kiln/float16.hpp"

namespace kiln::cpu_ref {

// double -> float16 with a single rounding. Going through float would round twice; rounding to float "to odd"
// (truncate, then set the last bit when inexact) keeps enough information for the final round to be exact,
// because float carries more than two bits beyond float16's 11.
inline float16 float16_from_double(double x) {
  float f = static_cast<float>(x);
  if (std::isfinite(x) && static_cast<double>(f) != x) {
    if (std::fabs(static_cast<double>(f)) > std::fabs(x)) f = std::nextafter(f, 0.0f);  // truncate toward zero
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    bits |= 1u;  // sticky: "inexact"
    std::memcpy(&f, &bits, sizeof f);
  }
  return float16(f);
}

// One element from T to U.
template <class U, class T>
U convert(T v) {
  using CT = compute_type_t<T>;
  const CT x = static_cast<CT>(v);
  if constexpr (std::is_same_v<U, T>) return v;
  else if constexpr (std::is_same_v<U, bool>) return x != CT(0);
  else if constexpr (std::is_same_v<U, float16>) {
    if constexpr (std::is_same_v<CT, float> || std::is_same_v<CT, bool>) return float16(static_cast<float>(x));
    else return float16_from_double(static_cast<double>(x));
  } else if constexpr (std::is_floating_point_v<CT> && std::is_integral_v<U>) return saturate_cast<U>(x);
  else return static_cast<U>(x);
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_CONVERT_HPP
