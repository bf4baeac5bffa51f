// Reductions over a set of axes: which axes, the output shape, and a walk that pairs every input element
// with its output slot.
#ifndef KILN_CPU_REF_REDUCE_HPP
#define KILN_CPU_REF_REDUCE_HPP

#include <vector>

#include "common/shape_util.hpp"
#include "kiln/plugin.hpp"

namespace kiln::cpu_ref {

// Which dims of a rank-`rank` input are reduced. Empty `axes` means all of them, unless `noop_when_empty`.
inline std::vector<bool> reduced_dims(const std::vector<int64_t>& axes, int rank, bool noop_when_empty, const char* op) {
  std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty() && !noop_when_empty);
  for (int64_t a : axes) reduced[normalize_axis(a, rank, op)] = true;
  return reduced;
}

inline std::vector<int64_t> reduced_shape(const std::vector<int64_t>& dims, const std::vector<bool>& reduced, bool keepdims) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (!reduced[i]) out.push_back(dims[i]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

// Calls fn(in_index, out_index) for every input element, in input order.
template <class Fn>
void for_each_reduced(const std::vector<int64_t>& dims, const std::vector<bool>& reduced, Fn&& fn) {
  std::vector<int64_t> kept = dims;
  for (size_t i = 0; i < dims.size(); ++i)
    if (reduced[i]) kept[i] = 1;
  std::vector<int64_t> out_strides = dense_strides(kept);
  for (size_t i = 0; i < dims.size(); ++i)
    if (reduced[i]) out_strides[i] = 0;
  const int64_t total = product(dims);
  std::vector<int64_t> counter(dims.size(), 0);
  int64_t out = 0;
  for (int64_t in = 0; in < total; ++in) {
    fn(in, out);
    for (size_t d = dims.size(); d-- > 0;) {
      out += out_strides[d];
      if (++counter[d] < dims[d]) break;
      out -= out_strides[d] * dims[d];
      counter[d] = 0;
    }
  }
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_REDUCE_HPP
