// A readable, cache-friendly matrix multiply: C[M,N] (+)= A[M,K] * B[K,N], row-major with leading dims.
// The i-k-j loop order keeps the inner loop contiguous in B and C, which compilers vectorise; blocking over
// k keeps a panel of B in cache for large matrices.
#ifndef KILN_CPU_REF_GEMM_HPP
#define KILN_CPU_REF_GEMM_HPP

#include <algorithm>
#include <cstdint>

namespace kiln::cpu_ref {

// C = A * B (accumulate = false) or C += A * B. A may be transposed (element (i,k) at a[k*lda + i]), as may B.
template <class T>
void gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, bool trans_a, const T* b, int64_t ldb, bool trans_b,
          T* c, int64_t ldc, bool accumulate) {
  if (!accumulate)
    for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, T(0));
  constexpr int64_t kBlock = 256;
  for (int64_t k0 = 0; k0 < k; k0 += kBlock) {
    const int64_t k1 = std::min(k, k0 + kBlock);
    for (int64_t i = 0; i < m; ++i) {
      T* row = c + i * ldc;
      for (int64_t p = k0; p < k1; ++p) {
        const T av = trans_a ? a[p * lda + i] : a[i * lda + p];
        if (av == T(0)) continue;
        if (!trans_b) {
          const T* brow = b + p * ldb;
          for (int64_t j = 0; j < n; ++j) row[j] += av * brow[j];
        } else {
          for (int64_t j = 0; j < n; ++j) row[j] += av * b[j * ldb + p];
        }
      }
    }
  }
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_GEMM_HPP
