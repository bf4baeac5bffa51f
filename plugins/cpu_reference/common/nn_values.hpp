// Reading a tensor's elements into a vector of a wider compute type, whatever its own dtype: for kernels that
// compute in float or double while storing float16, and for ops whose inputs may each have another dtype
// (BatchNormalization-15's scale and mean, for instance).
#ifndef KILN_CPU_REF_NN_VALUES_HPP
#define KILN_CPU_REF_NN_VALUES_HPP

#include <limits>
#include <type_traits>
#include <vector>

#include "common/compute_type.hpp"
#include "common/elementwise.hpp"

namespace kiln::cpu_ref {

// static_cast, except that a floating value headed for an integer type saturates (NaN gives 0) instead of
// being undefined behaviour when out of range: log(0) = -inf reduced over int32, for instance.
template <class To, class From> To value_cast(From v) {
  if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To> && !std::is_same_v<To, bool>) {
    if (v != v) return To(0);
    if (v <= static_cast<From>(std::numeric_limits<To>::lowest())) return std::numeric_limits<To>::lowest();
    if (v >= static_cast<From>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
  }
  return static_cast<To>(v);
}

template <class C> std::vector<C> values_as(kiln_dtype dtype, const void* data, int64_t count, const char* op) {
  std::vector<C> out(static_cast<size_t>(count));
  NumericTypes::dispatch(dtype, op, [&](auto tag) {
    using T = decltype(tag);
    const T* p = static_cast<const T*>(data);
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<C>(static_cast<compute_type_t<T>>(p[i]));
  });
  return out;
}
template <class C> std::vector<C> values_as(const Tensor& t, const char* op) {
  return values_as<C>(t.dtype(), t.raw(), t.numel(), op);
}
// A constant value's contents as the graph knows them at build time (weights a kernel packs in create).
template <class C> std::vector<C> values_as(const ValueInfo& v, const char* op) {
  if (!v.data || !v.shape_known()) fail_invalid(std::string(op) + ": '" + v.name + "' must be a constant");
  return values_as<C>(v.dtype, v.data, v.numel(), op);
}

// Writes `values` (compute type C) into tensor `t` of storage type T.
template <class T, class C> void store_as(const std::vector<C>& values, const Tensor& t) {
  T* p = t.data<T>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(static_cast<compute_type_t<T>>(values[i]));
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_NN_VALUES_HPP
