#include "common/gemm_lt.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/handles.hpp"
#include "common/tuning.hpp"

namespace kiln::cuda {

namespace {

constexpr int kCandidates = 8;  // heuristic results timed per product
constexpr uint32_t kFastAlignment = 16;

cudaDataType_t cuda_type(kiln_dtype dtype) {
  switch (dtype) {
    case KILN_DTYPE_FLOAT32: return CUDA_R_32F;
    case KILN_DTYPE_FLOAT16: return CUDA_R_16F;
    default: fail_unsupported(std::string("cuBLASLt products here take float32 or float16, not ") + dtype_name(dtype));
  }
}

template <class Value>
void set_desc(const LtMatmulDesc& desc, cublasLtMatmulDescAttributes_t attribute, const Value& value) {
  KILN_CUBLAS(cublasLtMatmulDescSetAttribute(desc.get(), attribute, &value, sizeof value));
}
template <class Value>
void set_preference(const LtPreference& pref, cublasLtMatmulPreferenceAttributes_t attribute, const Value& value) {
  KILN_CUBLAS(cublasLtMatmulPreferenceSetAttribute(pref.get(), attribute, &value, sizeof value));
}

// A column-major rows x cols matrix with leading dim ld, repeated `batch` times `stride` elements apart.
LtLayout layout(cudaDataType_t type, int64_t rows, int64_t cols, int64_t ld, int64_t batch, int64_t stride) {
  cublasLtMatrixLayout_t raw = nullptr;
  KILN_CUBLAS(cublasLtMatrixLayoutCreate(&raw, type, static_cast<uint64_t>(rows), static_cast<uint64_t>(cols), ld));
  LtLayout l(raw);
  if (batch > 1) {
    const int32_t count = static_cast<int32_t>(batch);
    KILN_CUBLAS(cublasLtMatrixLayoutSetAttribute(l.get(), CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count));
    KILN_CUBLAS(cublasLtMatrixLayoutSetAttribute(l.get(), CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride));
  }
  return l;
}

bool aligned_to(const void* p, uintptr_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

std::string hex_of(const cublasLtMatmulAlgo_t& algo) {
  std::string s;
  char digits[3];
  const auto* bytes = reinterpret_cast<const unsigned char*>(&algo);
  for (size_t i = 0; i < sizeof algo; ++i) {
    std::snprintf(digits, sizeof digits, "%02x", bytes[i]);
    s += digits;
  }
  return s;
}

bool algo_of(const std::string& hex, cublasLtMatmulAlgo_t* algo) {
  if (hex.size() != 2 * sizeof *algo) return false;
  auto* bytes = reinterpret_cast<unsigned char*>(algo);
  for (size_t i = 0; i < sizeof *algo; ++i) {
    unsigned value = 0;
    if (std::sscanf(hex.c_str() + 2 * i, "%2x", &value) != 1) return false;
    bytes[i] = static_cast<unsigned char>(value);
  }
  return true;
}

}  // namespace

bool GemmShape::operator==(const GemmShape& o) const {
  return dtype == o.dtype && m == o.m && n == o.n && k == o.k && trans_a == o.trans_a && trans_b == o.trans_b &&
         batch == o.batch && stride_a == o.stride_a && stride_b == o.stride_b && stride_d == o.stride_d &&
         has_c == o.has_c && bias == o.bias && relu == o.relu;
}

std::string GemmShape::text() const {
  std::string s = std::string(dtype_name(dtype)) + " m " + std::to_string(m) + " n " + std::to_string(n) + " k " +
                  std::to_string(k) + (trans_a ? " ta" : "") + (trans_b ? " tb" : "");
  if (batch > 1)
    s += " batch " + std::to_string(batch) + " strides " + std::to_string(stride_a) + "," + std::to_string(stride_b) + "," +
         std::to_string(stride_d);
  return s + (has_c ? " c" : "") + (bias ? " bias" : "") + (relu ? " relu" : "");
}

LtGemm::LtGemm(const GemmShape& s, const void* bias) : shape_(s) {
  const cudaDataType_t type = cuda_type(s.dtype);
  cublasLtMatmulDesc_t raw = nullptr;
  KILN_CUBLAS(cublasLtMatmulDescCreate(&raw, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  desc_.reset(raw);
  const cublasOperation_t op_a = s.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = s.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  set_desc(desc_, CUBLASLT_MATMUL_DESC_TRANSA, op_a);
  set_desc(desc_, CUBLASLT_MATMUL_DESC_TRANSB, op_b);
  const cublasLtEpilogue_t epilogue = s.bias ? (s.relu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS)
                                             : (s.relu ? CUBLASLT_EPILOGUE_RELU : CUBLASLT_EPILOGUE_DEFAULT);
  set_desc(desc_, CUBLASLT_MATMUL_DESC_EPILOGUE, epilogue);
  if (s.bias) set_desc(desc_, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias);
  // cuBLASLt's A is our B, stored [K, N] (column-major N x K) or, transposed, [N, K] (column-major K x N); its B is
  // our A likewise; C and D are [M, N] (column-major N x M).
  a_ = layout(type, s.trans_b ? s.k : s.n, s.trans_b ? s.n : s.k, s.trans_b ? s.k : s.n, s.batch, s.stride_b);
  b_ = layout(type, s.trans_a ? s.m : s.k, s.trans_a ? s.k : s.m, s.trans_a ? s.m : s.k, s.batch, s.stride_a);
  c_ = layout(type, s.n, s.m, s.n, s.batch, s.stride_d);
  d_ = layout(type, s.n, s.m, s.n, s.batch, s.stride_d);
}

int LtGemm::heuristics(uint32_t alignment, cublasLtMatmulHeuristicResult_t* results, int count) const {
  cublasLtMatmulPreference_t raw = nullptr;
  KILN_CUBLAS(cublasLtMatmulPreferenceCreate(&raw));
  const LtPreference pref(raw);
  const uint64_t max_workspace = kMaxWorkspace;
  set_preference(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, max_workspace);
  set_preference(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, alignment);
  set_preference(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, alignment);
  set_preference(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, alignment);
  set_preference(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, alignment);
  int returned = 0;
  if (cublasLtMatmulAlgoGetHeuristic(cublaslt_handle(), desc_.get(), a_.get(), b_.get(), c_.get(), d_.get(), pref.get(),
                                     count, results, &returned) != CUBLAS_STATUS_SUCCESS)
    return 0;
  // Keep the successful results, in cuBLASLt's order.
  int kept = 0;
  for (int i = 0; i < returned; ++i)
    if (results[i].state == CUBLAS_STATUS_SUCCESS) results[kept++] = results[i];
  return kept;
}

void LtGemm::choose_fallback() {
  cublasLtMatmulHeuristicResult_t result{};
  if (heuristics(static_cast<uint32_t>(dtype_size(shape_.dtype)), &result, 1) == 1)
    fallback_ = Choice{result.algo, result.workspaceSize, true};
}

void LtGemm::choose_untimed() {
  cublasLtMatmulHeuristicResult_t result{};
  if (heuristics(kFastAlignment, &result, 1) == 1) aligned_ = Choice{result.algo, result.workspaceSize, true};
  choose_fallback();
  if (!aligned_.valid && !fallback_.valid) fail_unsupported("cuBLASLt has no algorithm for " + shape_.text());
}

bool LtGemm::from_cache(const std::string& key) {
  Choice c;
  if (!algo_of(tuning_get(key), &c.algo)) return false;
  cublasLtMatmulHeuristicResult_t result{};
  if (cublasLtMatmulAlgoCheck(cublaslt_handle(), desc_.get(), a_.get(), b_.get(), c_.get(), d_.get(), &c.algo, &result) !=
          CUBLAS_STATUS_SUCCESS ||
      result.workspaceSize > kMaxWorkspace)
    return false;
  c.workspace = result.workspaceSize;
  c.valid = true;
  aligned_ = c;
  return true;
}

void LtGemm::tune(const GemmPointers& real, const std::string& label, std::string* note) {
  const std::string key =
      "kiln.cuda.gemm v1|" + device_label() + "|cublasLt " + std::to_string(cublasLtGetVersion()) + "|" + shape_.text();
  choose_fallback();
  if (from_cache(key)) {
    *note = "cuBLASLt algorithm from the tuning cache; workspace " + format_bytes(aligned_.workspace);
    return;
  }
  cublasLtMatmulHeuristicResult_t results[kCandidates];
  const int count = heuristics(kFastAlignment, results, kCandidates);
  if (count == 0) {
    if (!fallback_.valid) fail_unsupported(label + ": cuBLASLt has no algorithm for " + shape_.text());
    *note = "cuBLASLt: no algorithm for 16-byte aligned operands; the element-aligned one runs, untimed";
    return;
  }
  const size_t elem = dtype_size(shape_.dtype);
  size_t workspace_bytes = 0;
  for (int i = 0; i < count; ++i) workspace_bytes = std::max(workspace_bytes, results[i].workspaceSize);
  DeviceBuffer a = timing_buffer(real.a ? 0 : static_cast<size_t>(shape_.span_a()) * elem);
  DeviceBuffer b = timing_buffer(real.b ? 0 : static_cast<size_t>(shape_.span_b()) * elem);
  DeviceBuffer c = timing_buffer(real.c || !shape_.has_c ? 0 : static_cast<size_t>(shape_.span_d()) * elem);
  DeviceBuffer d = timing_buffer(static_cast<size_t>(shape_.span_d()) * elem);
  DeviceBuffer workspace(workspace_bytes);
  const GemmPointers p{real.a ? real.a : a.get(), real.b ? real.b : b.get(), real.c ? real.c : c.get(), d.get()};
  TimingStream& stream = timing_stream();
  int best = -1;
  double best_ms = 0;
  int timed = 0;
  for (int i = 0; i < count; ++i) {
    const Choice choice{results[i].algo, results[i].workspaceSize, true};
    const double ms = time_candidate(stream.get(), [&] {
      return matmul(choice, p, 1.0f, 1.0f, workspace.get(), workspace.bytes(), stream.get()) == CUBLAS_STATUS_SUCCESS;
    });
    if (ms < 0) continue;
    ++timed;
    if (best < 0 || ms < best_ms) best = i, best_ms = ms;
  }
  if (best < 0) fail_unsupported(label + ": cuBLASLt ran none of its " + std::to_string(count) + " candidates for " + shape_.text());
  aligned_ = Choice{results[best].algo, results[best].workspaceSize, true};
  tuning_put(key, hex_of(aligned_.algo));
  *note = "cuBLASLt heuristic candidate " + std::to_string(best) + ": " + format_ms(best_ms) + ", fastest of " +
          std::to_string(timed) + " timed; workspace " + format_bytes(aligned_.workspace) + "; " +
          (shape_.dtype == KILN_DTYPE_FLOAT16 ? "float16, tensor cores" : "float32 (CUBLAS_COMPUTE_32F, no TF32)");
}

size_t LtGemm::workspace() const {
  return std::max(aligned_.valid ? aligned_.workspace : 0, fallback_.valid ? fallback_.workspace : 0);
}

cublasStatus_t LtGemm::matmul(const Choice& c, const GemmPointers& p, float alpha, float beta, void* workspace,
                              size_t workspace_bytes, cudaStream_t stream) const {
  // Without C, D stands in for it, scaled by 0 (cuBLASLt then does not read it).
  const float c_scale = shape_.has_c ? beta : 0.0f;
  return cublasLtMatmul(cublaslt_handle(), desc_.get(), &alpha, p.b, a_.get(), p.a, b_.get(), &c_scale,
                        shape_.has_c ? p.c : p.d, c_.get(), p.d, d_.get(), &c.algo, workspace, workspace_bytes, stream);
}

void LtGemm::run(const GemmPointers& p, float alpha, float beta, void* workspace, size_t workspace_bytes,
                 cudaStream_t stream) const {
  const bool aligned = aligned_to(p.a, kFastAlignment) && aligned_to(p.b, kFastAlignment) && aligned_to(p.d, kFastAlignment) &&
                       (!shape_.has_c || aligned_to(p.c, kFastAlignment));
  const Choice& c = aligned && aligned_.valid ? aligned_ : fallback_;
  if (!c.valid) fail_unsupported("cuBLASLt has no algorithm for " + shape_.text() + " with these pointers' alignment");
  if (workspace_bytes < c.workspace)
    fail_invalid("cuBLASLt needs a workspace of " + std::to_string(c.workspace) + " bytes, got " + std::to_string(workspace_bytes));
  const cublasStatus_t status = matmul(c, p, alpha, beta, workspace, workspace_bytes, stream);
  if (status != CUBLAS_STATUS_SUCCESS)
    fail(KILN_ERROR_INTERNAL, "cublasLtMatmul (" + shape_.text() + "): cuBLAS status " + std::to_string(static_cast<int>(status)));
}

}  // namespace kiln::cuda
