// com.example.cuda.LayerScale: the CUDA kernel of com.example::LayerScale (see layer_scale.hpp), the glue around
// its device code (layer_scale_cuda.cu).
//
// It runs on the device the CUDA pack brings: kiln allocates X and Y in device memory and hands execute the
// stream to enqueue on through the `kiln_cuda` pack's device API, so a config that selects this kernel must load
// kiln_cuda too. gamma is a constant, which kiln leaves in host memory: create uploads it once and destroy frees
// it; execute only enqueues (it may be captured into a CUDA graph).
#include <cuda_runtime.h>

#include <memory>

#include "layer_scale.hpp"
#include "layer_scale_cuda.hpp"

namespace example {
namespace {

void cuda_check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  const kiln_status code = status == cudaErrorMemoryAllocation ? KILN_ERROR_OUT_OF_MEMORY : KILN_ERROR_INTERNAL;
  kiln::fail(code, std::string("LayerScale (CUDA): ") + what + ": " + cudaGetErrorString(status));
}

struct LayerScaleCuda {
  static kiln::KernelSpec spec() { return layer_scale_spec("com.example.cuda.LayerScale", KILN_DEVICE_CUDA); }
  static std::string check(const kiln::Node& node) { return layer_scale_check(node); }
  static void infer(const kiln::Node& node, kiln::InferContext& ctx) { layer_scale_infer(node, ctx); }

  explicit LayerScaleCuda(const kiln::Node& node)
      : state(LayerScaleState::from_node(node)), gamma(upload(state.gamma)) {}
  LayerScaleCuda(const kiln::Node&, const uint8_t* bytes, size_t length)
      : state(LayerScaleState::from_bytes(bytes, length)), gamma(upload(state.gamma)) {}
  std::vector<uint8_t> serialize() const { return state.serialize(); }

  void execute(kiln::ExecContext& ctx) {
    const kiln::Tensor x = ctx.input(0), y = ctx.output(0);
    const LayerScaleShape s = split_at_axis(x, state);
    cuda_check(launch_layer_scale(x.data<const float>(), gamma.get(), y.data<float>(), s.outer, s.channels, s.inner,
                                  static_cast<cudaStream_t>(ctx.stream())),
               "kernel launch");
  }

  // Device memory this kernel owns, freed with it (destroy deletes the kernel).
  using DeviceFloats = std::unique_ptr<float, cudaError_t (*)(void*)>;

  static DeviceFloats upload(const std::vector<float>& host) {
    DeviceFloats device(nullptr, &cudaFree);
    const size_t bytes = host.size() * sizeof(float);
    if (bytes == 0) return device;
    void* allocated = nullptr;
    cuda_check(cudaMalloc(&allocated, bytes), "cudaMalloc of gamma");
    device.reset(static_cast<float*>(allocated));
    cuda_check(cudaMemcpy(device.get(), host.data(), bytes, cudaMemcpyHostToDevice), "upload of gamma");
    return device;
  }

  LayerScaleState state;
  DeviceFloats gamma;  // state.gamma on the device
};

}  // namespace

const kiln_kernel_desc* layer_scale_cuda_kernel() { return kiln::describe<LayerScaleCuda>(); }

}  // namespace example
