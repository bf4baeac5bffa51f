// Small shape helpers shared by tensor kernels.
#ifndef KILN_CPU_REF_SHAPE_UTIL_HPP
#define KILN_CPU_REF_SHAPE_UTIL_HPP

#include <string>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln::cpu_ref {

// Maps a possibly negative axis into [0, rank); fails naming the op when out of range.
inline int normalize_axis(int64_t axis, int rank, const char* op) {
  if (axis < -rank || axis >= rank)
    fail_invalid(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

// Row-major element strides of `dims`.
inline std::vector<int64_t> dense_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

// Product of dims[begin, end).
inline int64_t span_size(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end && i < dims.size(); ++i) n *= dims[i];
  return n;
}

// Sets output `index` to `dims`, or to an unknown rank when `known` is false.
inline void set_output_or_unknown(InferContext& ctx, int index, kiln_dtype dtype, bool known,
                                  const std::vector<int64_t>& dims) {
  if (known) ctx.set_output(index, dtype, dims);
  else ctx.set_output_unknown_rank(index, dtype);
}

// Output 0 has input 0's dtype and shape (normalizations, scans: ops that map a tensor onto one like it).
inline void infer_same_as_input(InferContext& ctx) {
  const ValueInfo x = ctx.input(0);
  set_output_or_unknown(ctx, 0, x.dtype, x.has_rank, x.dims);
}

// The input's int contents when they are known (constant, or at run time), for shape arguments.
inline bool known_ints(const InferContext& ctx, int index, std::vector<int64_t>& out) {
  if (!ctx.has_input(index)) return false;
  const ValueInfo v = ctx.input(index);
  if (!v.data || !v.shape_known()) return false;
  out = v.int_values();
  return true;
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_SHAPE_UTIL_HPP
