// How ScatterND and ScatterElements combine an update with the element already there: replace (none), or
// add / mul (opset 16) / max / min (opset 18). Works on raw element bytes so one kernel serves every dtype.
#ifndef KILN_CPU_REF_SCATTER_REDUCE_HPP
#define KILN_CPU_REF_SCATTER_REDUCE_HPP

#include <algorithm>
#include <cstring>
#include <string>

#include "common/element_value.hpp"

namespace kiln::cpu_ref {

enum class ScatterReduction { None, Add, Mul, Max, Min };

inline ScatterReduction parse_scatter_reduction(const Node& node) {
  const std::string r = node.attr_string("reduction", "none");
  if (r == "none") return ScatterReduction::None;
  if (r == "add") return ScatterReduction::Add;
  if (r == "mul") return ScatterReduction::Mul;
  if (r == "max") return ScatterReduction::Max;
  if (r == "min") return ScatterReduction::Min;
  fail_invalid(node.op_type() + " '" + node.name() + "': unknown reduction '" + r + "'");
}

// dst = dst (op) src for one element.
using ElementCombiner = void (*)(uint8_t* dst, const uint8_t* src);

namespace detail {

template <class T>
T combine_values(T a, T b, ScatterReduction r) {
  if constexpr (std::is_same_v<T, bool>) {  // numpy: + is "or", * is "and" on bool
    return (r == ScatterReduction::Add || r == ScatterReduction::Max) ? (a || b) : (a && b);
  } else if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, Bfloat16Bits>) {
    return from_double<T>(combine_values<float>(static_cast<float>(to_double(a)), static_cast<float>(to_double(b)), r));
  } else if constexpr (std::is_integral_v<T>) {  // wrap around like the hardware, without signed-overflow UB
    const uint64_t x = static_cast<uint64_t>(a), y = static_cast<uint64_t>(b);
    switch (r) {
      case ScatterReduction::Add: return static_cast<T>(x + y);
      case ScatterReduction::Mul: return static_cast<T>(x * y);
      case ScatterReduction::Max: return std::max(a, b);
      case ScatterReduction::Min: return std::min(a, b);
      default: return b;
    }
  } else {
    switch (r) {
      case ScatterReduction::Add: return static_cast<T>(a + b);
      case ScatterReduction::Mul: return static_cast<T>(a * b);
      case ScatterReduction::Max: return std::max(a, b);
      case ScatterReduction::Min: return std::min(a, b);
      default: return b;
    }
  }
}

template <class T, ScatterReduction R>
void combine_element(uint8_t* dst, const uint8_t* src) {
  T a, b;
  std::memcpy(&a, dst, sizeof a);
  std::memcpy(&b, src, sizeof b);
  const T c = combine_values(a, b, R);
  std::memcpy(dst, &c, sizeof c);
}

template <class T>
ElementCombiner combiner_of(ScatterReduction r) {
  switch (r) {
    case ScatterReduction::Add: return &combine_element<T, ScatterReduction::Add>;
    case ScatterReduction::Mul: return &combine_element<T, ScatterReduction::Mul>;
    case ScatterReduction::Max: return &combine_element<T, ScatterReduction::Max>;
    case ScatterReduction::Min: return &combine_element<T, ScatterReduction::Min>;
    default: return nullptr;
  }
}

}  // namespace detail

// The combiner for `dtype`, or nullptr for reduction none (a plain copy).
inline ElementCombiner scatter_combiner(kiln_dtype dtype, ScatterReduction r, const char* op) {
  ElementCombiner out = nullptr;
  if (r == ScatterReduction::None) return out;
  dispatch_every_dtype(dtype, op, [&](auto tag) { out = detail::combiner_of<decltype(tag)>(r); });
  return out;
}

// Applies one update element.
inline void scatter_one(uint8_t* dst, const uint8_t* src, size_t elem, ElementCombiner combine) {
  if (combine) combine(dst, src);
  else std::memcpy(dst, src, elem);
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_SCATTER_REDUCE_HPP
