// Copies elements of any type (by size) from a strided view of the input into a dense output:
// out[i0..in] = in[offset + sum(i_k * strides[k])]. Transpose, Slice and Expand are this with different strides.
#ifndef KILN_CPU_REF_STRIDED_COPY_HPP
#define KILN_CPU_REF_STRIDED_COPY_HPP

#include <cstring>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln::cpu_ref {

inline void strided_copy(const void* src, void* dst, size_t elem_size, const std::vector<int64_t>& out_dims,
                         const std::vector<int64_t>& strides, int64_t offset) {
  int64_t total = 1;
  for (int64_t d : out_dims) total *= d;
  if (total == 0) return;
  const auto* in = static_cast<const uint8_t*>(src);
  auto* out = static_cast<uint8_t*>(dst);
  const size_t rank = out_dims.size();
  std::vector<int64_t> counter(rank, 0);
  int64_t at = offset;
  for (int64_t i = 0; i < total; ++i) {
    std::memcpy(out + i * elem_size, in + at * static_cast<int64_t>(elem_size), elem_size);
    for (size_t d = rank; d-- > 0;) {
      at += strides[d];
      if (++counter[d] < out_dims[d]) break;
      at -= strides[d] * out_dims[d];
      counter[d] = 0;
    }
  }
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_STRIDED_COPY_HPP
