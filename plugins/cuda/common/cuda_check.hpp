// Turning CUDA, cuDNN and cuBLASLt status codes into kiln errors that say which call failed and why.
#ifndef KILN_CUDA_CHECK_HPP
#define KILN_CUDA_CHECK_HPP

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

#include "kiln/plugin.hpp"

namespace kiln::cuda {

inline void check_cuda(cudaError_t status, const char* call) {
  if (status == cudaSuccess) return;
  const kiln_status code = status == cudaErrorMemoryAllocation ? KILN_ERROR_OUT_OF_MEMORY : KILN_ERROR_INTERNAL;
  fail(code, std::string(call) + ": " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

inline void check_cudnn(cudnnStatus_t status, const char* call) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  const kiln_status code = status == CUDNN_STATUS_NOT_SUPPORTED ? KILN_ERROR_UNSUPPORTED : KILN_ERROR_INTERNAL;
  fail(code, std::string(call) + ": " + cudnnGetErrorString(status));
}

inline void check_cublas(cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  const kiln_status code = status == CUBLAS_STATUS_NOT_SUPPORTED ? KILN_ERROR_UNSUPPORTED : KILN_ERROR_INTERNAL;
  fail(code, std::string(call) + ": cuBLAS status " + std::to_string(static_cast<int>(status)));
}

}  // namespace kiln::cuda

// The call's text names it in the message: KILN_CUDA(cudaMemcpyAsync(...)).
#define KILN_CUDA(call) ::kiln::cuda::check_cuda((call), #call)
#define KILN_CUDNN(call) ::kiln::cuda::check_cudnn((call), #call)
#define KILN_CUBLAS(call) ::kiln::cuda::check_cublas((call), #call)
// After a kernel launch: a bad launch configuration is reported at once, not at the next sync.
#define KILN_CUDA_LAUNCHED() KILN_CUDA(cudaGetLastError())

#endif  // KILN_CUDA_CHECK_HPP
