// Library handles. A cuDNN handle is bound to one stream and made on its first use (the engine's first, eager run
// of a context: never while a CUDA graph is being captured); the cuBLASLt handle is thread-safe and shared.
#ifndef KILN_CUDA_HANDLES_HPP
#define KILN_CUDA_HANDLES_HPP

#include <cublasLt.h>
#include <cudnn.h>

namespace kiln::cuda {

// The cuDNN handle of `stream`.
cudnnHandle_t cudnn_handle(cudaStream_t stream);
// The process's cuBLASLt handle (cuBLASLt takes the stream per call).
cublasLtHandle_t cublaslt_handle();

}  // namespace kiln::cuda

#endif  // KILN_CUDA_HANDLES_HPP
