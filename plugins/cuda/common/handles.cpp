#include "common/handles.hpp"

#include <map>
#include <mutex>

#include "common/cuda_check.hpp"

namespace kiln::cuda {

namespace {

// cuDNN handles by stream. A handle must not be used by two threads at once; the engine gives each run context
// its own streams and a context to one thread at a time, so a handle per stream is never shared concurrently.
// Keyed by stream rather than by thread so that the handle a stream needs exists from that context's first
// (eager) run on, whichever thread later captures the context's work into a CUDA graph: making a handle while a
// capture is in progress would break the capture.
struct CudnnHandles {
  std::mutex mutex;
  std::map<cudaStream_t, cudnnHandle_t> by_stream;
  ~CudnnHandles() {
    for (auto& entry : by_stream) cudnnDestroy(entry.second);
  }
};

CudnnHandles& cudnn_handles() {
  static CudnnHandles* handles = new CudnnHandles;  // never destroyed: plugins may be unloaded after CUDA teardown
  return *handles;
}

}  // namespace

cudnnHandle_t cudnn_handle(cudaStream_t stream) {
  CudnnHandles& handles = cudnn_handles();
  std::lock_guard<std::mutex> lock(handles.mutex);
  cudnnHandle_t& h = handles.by_stream[stream];
  if (!h) {
    KILN_CUDNN(cudnnCreate(&h));
    KILN_CUDNN(cudnnSetStream(h, stream));
  }
  return h;
}

// cuBLASLt handles hold no stream and are safe to share: one for the process, made on first use.
cublasLtHandle_t cublaslt_handle() {
  static cublasLtHandle_t handle = [] {
    cublasLtHandle_t h = nullptr;
    KILN_CUBLAS(cublasLtCreate(&h));
    return h;
  }();
  return handle;
}

}  // namespace kiln::cuda
