// One matrix product on cuBLASLt, in ONNX's row-major terms:
//   D[b] = epilogue(alpha * op(A[b]) * op(B[b]) + beta * C[b] + bias),  b < batch,
// with A [M, K] (stored [K, M] when trans_a), B [K, N] (stored [N, K] when trans_b), C and D [M, N], the bias one
// value per column of D, the epilogue Relu or nothing. Compute is float32 for both dtypes (float16 data: FP16
// tensor cores with float32 accumulation; float32 data: CUBLAS_COMPUTE_32F, never TF32).
//
// cuBLASLt is column-major: a row-major [R, C] matrix is its column-major [C, R] transpose, so D^T = B'^T A'^T is
// computed, with our B as cuBLASLt's first operand. Its bias (one value per row of its D) is then one value per
// column of ours, as Gemm's C vector and a Linear layer's bias are.
#ifndef KILN_CUDA_GEMM_LT_HPP
#define KILN_CUDA_GEMM_LT_HPP

#include <cublasLt.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/cuda_check.hpp"

namespace kiln::cuda {

struct GemmShape {
  kiln_dtype dtype = KILN_DTYPE_FLOAT32;  // A, B, C, D and the bias
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  int64_t batch = 1;
  int64_t stride_a = 0, stride_b = 0, stride_d = 0;  // elements between batch entries; 0 repeats one matrix
  bool has_c = false;                                // C is [M, N] with D's strides, scaled by beta
  bool bias = false;
  bool relu = false;

  bool operator==(const GemmShape& o) const;
  bool operator!=(const GemmShape& o) const { return !(*this == o); }
  // Everything the fastest algorithm depends on, as text: for tuning keys and notes.
  std::string text() const;
  // Elements a buffer of each operand spans (for timing scratch).
  int64_t span_a() const { return (stride_a ? stride_a * (batch - 1) : 0) + m * k; }
  int64_t span_b() const { return (stride_b ? stride_b * (batch - 1) : 0) + k * n; }
  int64_t span_d() const { return stride_d * (batch - 1) + m * n; }
};

// The device pointers of one product.
struct GemmPointers {
  const void* a = nullptr;
  const void* b = nullptr;
  const void* c = nullptr;  // when the shape has C
  void* d = nullptr;
};

// Owners of cuBLASLt's descriptors.
struct LtDeleter {
  void operator()(cublasLtMatmulDesc_t d) const { cublasLtMatmulDescDestroy(d); }
  void operator()(cublasLtMatrixLayout_t l) const { cublasLtMatrixLayoutDestroy(l); }
  void operator()(cublasLtMatmulPreference_t p) const { cublasLtMatmulPreferenceDestroy(p); }
};
using LtMatmulDesc = std::unique_ptr<cublasLtMatmulDescOpaque_t, LtDeleter>;
using LtLayout = std::unique_ptr<cublasLtMatrixLayoutOpaque_t, LtDeleter>;
using LtPreference = std::unique_ptr<cublasLtMatmulPreferenceOpaque_t, LtDeleter>;

// cuBLASLt's descriptors of one GemmShape, and the algorithms chosen for it.
class LtGemm {
 public:
  // `bias`: device memory of N values in the shape's dtype, when the shape has a bias.
  LtGemm(const GemmShape& shape, const void* bias);

  // Chooses the algorithm by timing cuBLASLt's heuristic candidates on `real` operands where given (constants the
  // kernel uploaded) and scratch elsewhere; looks in the tuning cache first. `note` says what was decided.
  void tune(const GemmPointers& real, const std::string& label, std::string* note);
  // Chooses cuBLASLt's first heuristic candidate, without timing (for shapes only known per call).
  void choose_untimed();

  // The workspace the chosen algorithms need.
  size_t workspace() const;
  // Enqueues the product on `stream`. Pointers less than 16-byte aligned take the algorithm chosen for the
  // element alignment alone.
  void run(const GemmPointers& p, float alpha, float beta, void* workspace, size_t workspace_bytes, cudaStream_t stream) const;

  // The largest workspace an algorithm may take.
  static constexpr size_t kMaxWorkspace = size_t{32} << 20;

 private:
  struct Choice {
    cublasLtMatmulAlgo_t algo{};
    size_t workspace = 0;
    bool valid = false;
  };
  // Up to `count` heuristic candidates for pointers aligned to `alignment` bytes.
  int heuristics(uint32_t alignment, cublasLtMatmulHeuristicResult_t* results, int count) const;
  bool from_cache(const std::string& key);
  void choose_fallback();
  cublasStatus_t matmul(const Choice& c, const GemmPointers& p, float alpha, float beta, void* workspace,
                        size_t workspace_bytes, cudaStream_t stream) const;

  GemmShape shape_;
  LtMatmulDesc desc_;
  LtLayout a_, b_, c_, d_;  // cuBLASLt's A (our B), B (our A), C and D
  Choice aligned_;   // for 16-byte aligned pointers: the fast path
  Choice fallback_;  // for pointers aligned to the element size only
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_GEMM_LT_HPP
