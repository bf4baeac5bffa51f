// A readable, cache-friendly matrix multiply: C[M,N] (+)= A[M,K] * B[K,N], row-major with leading dims.
// The i-k-j loop order keeps the inner loop contiguous in B and C, which compilers vectorise; blocking over
// k keeps a panel of B in cache for large matrices. A transposed B is first copied into row-major form, so
// that the inner loop never strides. (A register-tiled kernel measured no faster with the default SSE2 code
// generation, so the simple form stays.)
#ifndef KILN_CPU_REF_GEMM_HPP
#define KILN_CPU_REF_GEMM_HPP

#include <algorithm>
#include <cstdint>
#include <vector>

namespace kiln::cpu_ref {

// C = A * B (accumulate = false) or C += A * B. With trans_a, element (i, p) of A is a[p * lda + i]; with
// trans_b, element (p, j) of B is b[j * ldb + p].
template <class T> void gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, bool trans_a, const T* b,
                             int64_t ldb, bool trans_b, T* c, int64_t ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (!accumulate)
    for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, T(0));
  std::vector<T> b_rows;
  if (trans_b) {
    b_rows.resize(static_cast<size_t>(k * n));
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) b_rows[static_cast<size_t>(p * n + j)] = b[j * ldb + p];
    b = b_rows.data();
    ldb = n;
  }
  constexpr int64_t kBlock = 256;
  for (int64_t k0 = 0; k0 < k; k0 += kBlock) {
    const int64_t k1 = std::min(k, k0 + kBlock);
    for (int64_t i = 0; i < m; ++i) {
      T* row = c + i * ldc;
      for (int64_t p = k0; p < k1; ++p) {
        const T av = trans_a ? a[p * lda + i] : a[i * lda + p];
        const T* brow = b + p * ldb;
        for (int64_t j = 0; j < n; ++j) row[j] += av * brow[j];
      }
    }
  }
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_GEMM_HPP
