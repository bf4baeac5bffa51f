// One scalar of any movable dtype as the bits an element of that dtype holds (the low dtype_size bytes of a
// uint64_t), for fill values such as Pad's constant: a kernel then writes it as bytes, like every other element.
#ifndef KILN_CUDA_MOVEMENT_SCALAR_HPP
#define KILN_CUDA_MOVEMENT_SCALAR_HPP

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "kiln/plugin.hpp"

namespace kiln::cuda::movement {

// bfloat16: the high half of a float32, rounded to nearest even; NaN stays a quiet NaN.
inline uint16_t bfloat16_bits(float value) {
  uint32_t f;
  std::memcpy(&f, &value, sizeof f);
  if ((f & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((f >> 16) | 0x0040u);
  return static_cast<uint16_t>((f + 0x7FFFu + ((f >> 16) & 1u)) >> 16);
}

inline float bfloat16_value(uint16_t bits) {
  const uint32_t f = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &f, sizeof value);
  return value;
}

// An integer of type T from a real number: truncated toward zero and saturated (NaN gives 0), as a C cast
// would be where it is defined.
template <class T>
uint64_t integer_bits(double v) {
  T t = 0;
  if (std::isnan(v)) t = 0;
  else if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) t = std::numeric_limits<T>::lowest();
  else if (v >= static_cast<double>(std::numeric_limits<T>::max())) t = std::numeric_limits<T>::max();
  else t = static_cast<T>(v);
  uint64_t bits = 0;
  std::memcpy(&bits, &t, sizeof t);
  return bits;
}

// `value` as the bits of one element of `dtype`.
inline uint64_t scalar_bits(kiln_dtype dtype, double value) {
  uint64_t bits = 0;
  switch (dtype) {
    case KILN_DTYPE_FLOAT32: {
      const float f = static_cast<float>(value);
      std::memcpy(&bits, &f, sizeof f);
      return bits;
    }
    case KILN_DTYPE_FLOAT64: std::memcpy(&bits, &value, sizeof value); return bits;
    case KILN_DTYPE_FLOAT16: return float16(static_cast<float>(value)).bits;
    case KILN_DTYPE_BFLOAT16: return bfloat16_bits(static_cast<float>(value));
    case KILN_DTYPE_BOOL: return value != 0 ? 1 : 0;
    case KILN_DTYPE_INT8: return integer_bits<int8_t>(value);
    case KILN_DTYPE_INT16: return integer_bits<int16_t>(value);
    case KILN_DTYPE_INT32: return integer_bits<int32_t>(value);
    case KILN_DTYPE_INT64: return integer_bits<int64_t>(value);
    case KILN_DTYPE_UINT8: return integer_bits<uint8_t>(value);
    case KILN_DTYPE_UINT16: return integer_bits<uint16_t>(value);
    case KILN_DTYPE_UINT32: return integer_bits<uint32_t>(value);
    case KILN_DTYPE_UINT64: return integer_bits<uint64_t>(value);
    default: fail_unsupported(std::string("scalar of dtype ") + dtype_name(dtype));
  }
}

// The value of one element of `dtype` at `bytes`.
inline double scalar_value(kiln_dtype dtype, const void* bytes) {
  auto read = [bytes](auto tag) {
    decltype(tag) v;
    std::memcpy(&v, bytes, sizeof v);
    return v;
  };
  switch (dtype) {
    case KILN_DTYPE_FLOAT32: return read(float{});
    case KILN_DTYPE_FLOAT64: return read(double{});
    case KILN_DTYPE_FLOAT16: return static_cast<float>(float16::from_bits(read(uint16_t{})));
    case KILN_DTYPE_BFLOAT16: return bfloat16_value(read(uint16_t{}));
    case KILN_DTYPE_BOOL: return read(uint8_t{}) != 0 ? 1.0 : 0.0;
    case KILN_DTYPE_INT8: return read(int8_t{});
    case KILN_DTYPE_INT16: return read(int16_t{});
    case KILN_DTYPE_INT32: return read(int32_t{});
    case KILN_DTYPE_INT64: return static_cast<double>(read(int64_t{}));
    case KILN_DTYPE_UINT8: return read(uint8_t{});
    case KILN_DTYPE_UINT16: return read(uint16_t{});
    case KILN_DTYPE_UINT32: return read(uint32_t{});
    case KILN_DTYPE_UINT64: return static_cast<double>(read(uint64_t{}));
    default: fail_unsupported(std::string("scalar of dtype ") + dtype_name(dtype));
  }
}

}  // namespace kiln::cuda::movement

#endif  // KILN_CUDA_MOVEMENT_SCALAR_HPP
