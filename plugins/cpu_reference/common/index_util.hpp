// Index helpers for gather/scatter-style kernels: negative indices checked and resolved, and a row-major walk
// over every position of a shape.
#ifndef KILN_CPU_REF_INDEX_UTIL_HPP
#define KILN_CPU_REF_INDEX_UTIL_HPP

#include <string>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln::cpu_ref {

// An index into a dim of size n, in [-n, n), made non-negative; anything else fails naming the op.
inline int64_t resolve_index(int64_t i, int64_t n, const char* op) {
  if (i < -n || i >= n)
    fail_invalid(std::string(op) + ": index " + std::to_string(i) + " is out of range [" + std::to_string(-n) + ", " +
                 std::to_string(n) + ")");
  return i < 0 ? i + n : i;
}

// Calls fn(position) for every position of `dims` in row-major order (none when a dim is 0; once for rank 0).
template <class Fn>
void for_each_position(const std::vector<int64_t>& dims, Fn&& fn) {
  for (int64_t d : dims)
    if (d <= 0) return;
  std::vector<int64_t> pos(dims.size(), 0);
  while (true) {
    fn(static_cast<const std::vector<int64_t>&>(pos));
    size_t d = dims.size();
    while (d > 0) {
      --d;
      if (++pos[d] < dims[d]) break;
      pos[d] = 0;
      if (d == 0) return;
    }
    if (dims.empty()) return;
  }
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_INDEX_UTIL_HPP
