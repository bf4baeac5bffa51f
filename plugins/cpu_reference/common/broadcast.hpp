// Multidirectional (numpy) broadcasting: the output shape of several inputs, and a walk over the output that
// yields each input's element offset.
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
  for (size_t k = 0; k < in.size(); ++k) {
    const size_t i = in.size() - 1 - k, o = out.size() - 1 - k;
    strides[o] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return strides;
}

// Calls fn(out_index, offsets) for every output element, offsets[k] being input k's element offset.
// The innermost dimension is a tight loop; the rest advance like an odometer.
template <size_t N, class Fn>
void for_each_broadcast(const std::vector<int64_t>& out_dims, const std::vector<std::vector<int64_t>>& in_dims,
                        Fn&& fn) {
  int64_t total = 1;
  for (int64_t d : out_dims) total *= d;
  if (total == 0) return;
  const size_t rank = out_dims.size();
  std::vector<std::vector<int64_t>> strides;
  for (size_t k = 0; k < N; ++k) strides.push_back(broadcast_strides(in_dims[k], out_dims));
  const int64_t inner = rank ? out_dims[rank - 1] : 1;
  std::array<int64_t, N> inner_stride{}, offset{};
  for (size_t k = 0; k < N; ++k) inner_stride[k] = rank ? strides[k][rank - 1] : 0;
  std::vector<int64_t> counter(rank, 0);
  for (int64_t base = 0; base < total; base += inner) {
    std::array<int64_t, N> at = offset;
    for (int64_t j = 0; j < inner; ++j) {
      fn(base + j, at);
      for (size_t k = 0; k < N; ++k) at[k] += inner_stride[k];
    }
    // Advance the odometer over the outer dims.
    for (size_t d = rank >= 1 ? rank - 1 : 0; d-- > 0;) {
      ++counter[d];
      for (size_t k = 0; k < N; ++k) offset[k] += strides[k][d];
      if (counter[d] < out_dims[d]) break;
      for (size_t k = 0; k < N; ++k) offset[k] -= strides[k][d] * out_dims[d];
      counter[d] = 0;
    }
  }
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_BROADCAST_HPP
