// Multidirectional (numpy) broadcasting: the output shape of several inputs, and a walk over the output that
// yields each input's element offset.
//
// The walk is planned once per call: each input gets element strides over the output dims (0 where it is
// broadcast), dims of extent 1 are dropped and adjacent dims that every input steps through contiguously are
// merged. Equal shapes thus become one flat row, and [1,2048,7,7] + [1,2048,1,1] becomes [2048,49] with
// inner strides (1, 0); the odometer over the outer dims then runs once per long row, not per element.
#ifndef KILN_CPU_REF_BROADCAST_HPP
#define KILN_CPU_REF_BROADCAST_HPP

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln::cpu_ref {

// The broadcast of `shapes`; fails naming both dims when two cannot broadcast. Unknown dims (-1) stay unknown
// unless another input fixes them.
inline std::vector<int64_t> broadcast_shapes(const std::vector<std::vector<int64_t>>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  std::vector<int64_t> out(rank, 1);
  for (const auto& s : shapes) {
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[rank - s.size() + i];
      const int64_t d = s[i];
      if (d == 1 || d == o) continue;
      if (o == 1 || o == -1) o = d;
      else if (d != -1) fail_invalid("shapes cannot broadcast: dimension " + std::to_string(d) + " vs " + std::to_string(o));
    }
  }
  return out;
}

// Per-input element strides over the output's dims (0 where the input is broadcast).
inline std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t k = 0; k < in.size() && k < out.size(); ++k) {
    const size_t i = in.size() - 1 - k, o = out.size() - 1 - k;
    strides[o] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return strides;
}

// "[1,3,224,224]", for messages.
inline std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

// Opsets 1-6 of the binary arithmetic, comparison and logic ops (and Pow-1) broadcast B only when attribute
// `broadcast` is 1, lining B's dims up with A's from `axis` (default: the trailing dims). B's dims padded with 1s
// to A's rank turn that into numpy broadcasting; from opset 7 on B's dims are used as they are.
class LegacyBroadcast {
 public:
  explicit LegacyBroadcast(const Node& node) {
    if (node.opset() >= 7 || node.attr_int("broadcast", 0) == 0) return;
    enabled_ = true;
    has_axis_ = node.has("axis");
    if (has_axis_) axis_ = node.attr_int("axis");
  }
  std::vector<int64_t> b_dims(const std::vector<int64_t>& a, const std::vector<int64_t>& b) const {
    if (!enabled_) return b;
    const int64_t rank_a = static_cast<int64_t>(a.size()), rank_b = static_cast<int64_t>(b.size());
    int64_t axis = has_axis_ ? axis_ : rank_a - rank_b;
    if (axis < 0) axis += rank_a;
    if (axis < 0 || axis + rank_b > rank_a)
      fail_invalid("legacy broadcast: B " + dims_text(b) + " does not fit A " + dims_text(a) + " at axis " + std::to_string(axis));
    std::vector<int64_t> padded(a.size(), 1);
    std::copy(b.begin(), b.end(), padded.begin() + axis);
    return padded;
  }

 private:
  bool enabled_ = false, has_axis_ = false;
  int64_t axis_ = 0;
};

// A planned walk: output dims (merged, innermost last) and each input's strides over them.
template <size_t N>
struct BroadcastPlan {
  std::vector<int64_t> dims;
  std::array<std::vector<int64_t>, N> strides;
  int64_t total = 0;
};

// Whether `in` broadcasts to `out` without changing it; unknown dims (-1, at build time) are taken to fit.
inline bool broadcasts_to(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  bool ok = in.size() <= out.size();
  for (size_t k = 0; ok && k < in.size(); ++k) {
    const int64_t d = in[in.size() - 1 - k], o = out[out.size() - 1 - k];
    ok = d == 1 || d == o || d < 0 || o < 0;
  }
  return ok;
}

// Fails unless `in` broadcasts to `out` (reading past an input must be impossible, whatever shapes arrive).
inline void require_broadcastable(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  if (!broadcasts_to(in, out)) fail_invalid("shape " + dims_text(in) + " does not broadcast to " + dims_text(out));
}

template <size_t N>
BroadcastPlan<N> plan_broadcast(const std::vector<int64_t>& out_dims, const std::vector<std::vector<int64_t>>& in_dims) {
  BroadcastPlan<N> plan;
  plan.total = product(out_dims);
  if (plan.total == 0) return plan;
  std::array<std::vector<int64_t>, N> full;
  for (size_t k = 0; k < N; ++k) {
    require_broadcastable(in_dims[k], out_dims);
    full[k] = broadcast_strides(in_dims[k], out_dims);
  }
  for (size_t d = 0; d < out_dims.size(); ++d) {
    if (out_dims[d] == 1) continue;
    // Merge into the previous (outer) dim when every input's outer stride is its inner stride times this extent.
    bool merge = !plan.dims.empty();
    for (size_t k = 0; merge && k < N; ++k) merge = plan.strides[k].back() == full[k][d] * out_dims[d];
    if (merge) {
      plan.dims.back() *= out_dims[d];
      for (size_t k = 0; k < N; ++k) plan.strides[k].back() = full[k][d];
    } else {
      plan.dims.push_back(out_dims[d]);
      for (size_t k = 0; k < N; ++k) plan.strides[k].push_back(full[k][d]);
    }
  }
  if (plan.dims.empty()) {  // a scalar output
    plan.dims.push_back(1);
    for (size_t k = 0; k < N; ++k) plan.strides[k].push_back(0);
  }
  return plan;
}

// Calls row(out_index, count, offsets, steps) for every innermost row of the output: the row's elements are
// out_index .. out_index+count-1, and input k's element j of the row is at offsets[k] + j * steps[k].
template <size_t N, class Row>
void for_each_broadcast_row(const std::vector<int64_t>& out_dims, const std::vector<std::vector<int64_t>>& in_dims,
                            Row&& row) {
  const BroadcastPlan<N> plan = plan_broadcast<N>(out_dims, in_dims);
  if (plan.total == 0) return;
  const size_t rank = plan.dims.size();
  const int64_t inner = plan.dims[rank - 1];
  std::array<int64_t, N> steps{}, offset{};
  for (size_t k = 0; k < N; ++k) steps[k] = plan.strides[k][rank - 1];
  std::vector<int64_t> counter(rank, 0);
  for (int64_t base = 0; base < plan.total; base += inner) {
    row(base, inner, offset, steps);
    // Advance the odometer over the outer dims.
    for (size_t d = rank - 1; d-- > 0;) {
      for (size_t k = 0; k < N; ++k) offset[k] += plan.strides[k][d];
      if (++counter[d] < plan.dims[d]) break;
      for (size_t k = 0; k < N; ++k) offset[k] -= plan.strides[k][d] * plan.dims[d];
      counter[d] = 0;
    }
  }
}

// Calls fn(out_index, offsets) for every output element, offsets[k] being input k's element offset.
template <size_t N, class Fn>
void for_each_broadcast(const std::vector<int64_t>& out_dims, const std::vector<std::vector<int64_t>>& in_dims,
                        Fn&& fn) {
  for_each_broadcast_row<N>(out_dims, in_dims,
                            [&](int64_t base, int64_t count, std::array<int64_t, N> at, const std::array<int64_t, N>& steps) {
                              for (int64_t j = 0; j < count; ++j) {
                                fn(base + j, static_cast<const std::array<int64_t, N>&>(at));
                                for (size_t k = 0; k < N; ++k) at[k] += steps[k];
                              }
                            });
}

// Runs body(j, a, b) for j in [0, count) with a = j*step_a, b = j*step_b, specialising the common contiguous and
// scalar cases so that the compiler sees unit or zero strides and can vectorise.
template <class Body>
inline void for_each_in_row2(int64_t count, int64_t step_a, int64_t step_b, Body&& body) {
  if (step_a == 1 && step_b == 1)
    for (int64_t j = 0; j < count; ++j) body(j, j, j);
  else if (step_a == 1 && step_b == 0)
    for (int64_t j = 0; j < count; ++j) body(j, j, int64_t{0});
  else if (step_a == 0 && step_b == 1)
    for (int64_t j = 0; j < count; ++j) body(j, int64_t{0}, j);
  else
    for (int64_t j = 0; j < count; ++j) body(j, j * step_a, j * step_b);
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_BROADCAST_HPP
