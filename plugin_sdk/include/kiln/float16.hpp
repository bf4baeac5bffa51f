// IEEE 754 binary16 as a plain C++ value type, for kernels that compute float16 by widening to float.
#ifndef KILN_FLOAT16_HPP
#define KILN_FLOAT16_HPP

#include <cstdint>
#include <cstring>

namespace kiln {

struct float16 {
  uint16_t bits = 0;

  float16() = default;
  explicit float16(float value) : bits(from_float(value)) {}
  explicit operator float() const { return to_float(bits); }

  static float16 from_bits(uint16_t raw) {
    float16 h;
    h.bits = raw;
    return h;
  }

  static float to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1Fu;
    uint32_t mantissa = h & 0x3FFu;
    uint32_t result;
    if (exponent == 0x1F) {  // inf or NaN
      result = sign | 0x7F800000u | (mantissa << 13);
    } else if (exponent != 0) {  // normal
      result = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {  // signed zero
      result = sign;
    } else {  // subnormal: normalise the mantissa
      exponent = 113;
      while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        --exponent;
      }
      result = sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13);
    }
    float f;
    std::memcpy(&f, &result, sizeof f);
    return f;
  }

  // Round to nearest, ties to even, as hardware conversions do.
  static uint16_t from_float(float value) {
    uint32_t f;
    std::memcpy(&f, &value, sizeof f);
    const uint16_t sign = static_cast<uint16_t>((f >> 16) & 0x8000u);
    const uint32_t abs = f & 0x7FFFFFFFu;
    if (abs > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00u);  // NaN
    if (abs >= 0x47800000u) return static_cast<uint16_t>(sign | 0x7C00u);  // overflow to inf
    if (abs < 0x38800000u) {  // subnormal or zero in half precision
      if (abs < 0x33000000u) return sign;  // rounds to zero
      const uint32_t exponent = abs >> 23;
      const uint32_t mantissa = (abs & 0x7FFFFFu) | 0x800000u;
      const uint32_t shift = 126 - exponent;
      uint32_t half = mantissa >> shift;
      const uint32_t remainder = mantissa & ((1u << shift) - 1);
      const uint32_t halfway = 1u << (shift - 1);
      if (remainder > halfway || (remainder == halfway && (half & 1u))) ++half;
      return static_cast<uint16_t>(sign | half);
    }
    uint32_t half = ((abs - 0x38000000u) >> 13);
    const uint32_t remainder = abs & 0x1FFFu;
    if (remainder > 0x1000u || (remainder == 0x1000u && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
};

}  // namespace kiln

#endif  // KILN_FLOAT16_HPP
