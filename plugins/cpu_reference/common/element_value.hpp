// One element of any dtype the pack holds, bfloat16 included, as a value: typed dispatch over every dtype,
// conversion to and from double, ordering, and "is it nonzero". For kernels that mostly move bytes but must
// look at values now and then (scatter reductions, Unique, NonZero, Resize, EyeLike, OneHot).
#ifndef KILN_CPU_REF_ELEMENT_VALUE_HPP
#define KILN_CPU_REF_ELEMENT_VALUE_HPP

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "common/elementwise.hpp"

namespace kiln::cpu_ref {

// bfloat16 as stored: the high 16 bits of a float32. kiln keeps it as raw bits; this gives it a C++ type.
struct Bfloat16Bits {
  uint16_t bits = 0;
  static float to_float(uint16_t b) {
    const uint32_t f32 = static_cast<uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &f32, sizeof f);
    return f;
  }
  // Round to nearest, ties to even; NaN stays a (quiet) NaN.
  static uint16_t from_float(float value) {
    uint32_t f32;
    std::memcpy(&f32, &value, sizeof f32);
    if ((f32 & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((f32 >> 16) | 0x0040u);
    const uint32_t rounding = 0x7FFFu + ((f32 >> 16) & 1u);
    return static_cast<uint16_t>((f32 + rounding) >> 16);
  }
};

constexpr uint64_t kEveryDtype = AllTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16);

// Calls fn(T{}) with the C++ type of `dtype`, any of the pack's dtypes (bfloat16 as Bfloat16Bits).
template <class Fn>
void dispatch_every_dtype(kiln_dtype dtype, const char* what, Fn&& fn) {
  if (dtype == KILN_DTYPE_BFLOAT16) return fn(Bfloat16Bits{});
  AllTypes::dispatch(dtype, what, std::forward<Fn>(fn));
}

template <class T>
double to_double(T v) {
  if constexpr (std::is_same_v<T, Bfloat16Bits>) return Bfloat16Bits::to_float(v.bits);
  else if constexpr (std::is_same_v<T, float16>) return static_cast<float>(v);
  else return static_cast<double>(v);
}

// double -> T: floating types round to nearest; integers round to nearest and saturate (NaN -> 0);
// bool is "nonzero".
template <class T>
T from_double(double v) {
  if constexpr (std::is_same_v<T, Bfloat16Bits>) return Bfloat16Bits{Bfloat16Bits::from_float(static_cast<float>(v))};
  else if constexpr (std::is_same_v<T, float16>) return float16(static_cast<float>(v));
  else if constexpr (std::is_same_v<T, bool>) return v != 0;
  else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(v);
  else {
    if (std::isnan(v)) return T(0);
    const double r = std::nearbyint(v);
    if (r <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (r >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(r);
  }
}

// The value an element compares by: floating types (float16 and bfloat16 widened) as themselves, integers exactly.
template <class T>
auto comparable(T v) {
  if constexpr (std::is_same_v<T, Bfloat16Bits> || std::is_same_v<T, float16>) return to_double(v);
  else return v;
}

// Three-way comparison; NaN sorts after every number and equals NaN (numpy's unique does the same).
template <class T>
int compare_values(T a, T b) {
  const auto x = comparable(a), y = comparable(b);
  if constexpr (std::is_floating_point_v<decltype(x)>) {
    const bool nx = std::isnan(x), ny = std::isnan(y);
    if (nx || ny) return nx == ny ? 0 : (nx ? 1 : -1);
  }
  return x < y ? -1 : (y < x ? 1 : 0);
}

template <class T>
bool is_nonzero(T v) {
  if constexpr (std::is_same_v<T, Bfloat16Bits>) return (v.bits & 0x7FFFu) != 0;  // -0 is zero
  else if constexpr (std::is_same_v<T, float16>) return (v.bits & 0x7FFFu) != 0;
  else return v != T(0);  // NaN is nonzero
}

// An element of `dtype` holding `value` (rounded as from_double does), as bytes.
inline std::vector<uint8_t> element_bytes(kiln_dtype dtype, double value, const char* what) {
  std::vector<uint8_t> bytes(dtype_size(dtype));
  dispatch_every_dtype(dtype, what, [&](auto tag) {
    const auto v = from_double<decltype(tag)>(value);
    std::memcpy(bytes.data(), &v, sizeof v);
  });
  return bytes;
}

// Element `i` of a tensor as double (for small integer or float arguments such as OneHot's depth).
inline double element_as_double(const Tensor& t, int64_t i, const char* what) {
  double out = 0;
  dispatch_every_dtype(t.dtype(), what, [&](auto tag) { out = to_double(t.data<decltype(tag)>()[i]); });
  return out;
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_ELEMENT_VALUE_HPP
