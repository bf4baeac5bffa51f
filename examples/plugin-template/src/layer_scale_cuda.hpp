// The device code of com.example.cuda.LayerScale (layer_scale_cuda.cu), as the glue (layer_scale_cuda.cpp)
// calls it: plain C++ types and a CUDA stream, so the glue compiles with the host compiler.
#ifndef EXAMPLE_LAYER_SCALE_CUDA_HPP
#define EXAMPLE_LAYER_SCALE_CUDA_HPP

#include <cuda_runtime.h>

#include <cstdint>

namespace example {

// Enqueues y[o, c, i] = x[o, c, i] * gamma[c] on `stream` (all three device pointers) and returns the launch's
// status. Asynchronous and capture-safe: no allocation, no synchronisation.
cudaError_t launch_layer_scale(const float* x, const float* gamma, float* y, int64_t outer, int64_t channels,
                               int64_t inner, cudaStream_t stream);

}  // namespace example

#endif  // EXAMPLE_LAYER_SCALE_CUDA_HPP
