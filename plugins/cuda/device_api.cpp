#include "device_api.hpp"

#include <cuda_runtime.h>

#include <cstdio>
#include <string>

#include "kiln/plugin.hpp"

namespace kiln::cuda {

namespace {

// Reports a failed CUDA call through the host, naming the call, and returns its kiln status.
kiln_status report(cudaError_t status, const char* call) {
  if (status == cudaSuccess) return KILN_OK;
  const kiln_status code = status == cudaErrorMemoryAllocation ? KILN_ERROR_OUT_OF_MEMORY : KILN_ERROR_INTERNAL;
  const std::string message = std::string(call) + ": " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")";
  const kiln_host_api* host = host_api();
  return host ? host->set_error(code, message.c_str()) : code;
}
#define KILN_REPORT(call) report((call), #call)

int32_t device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();  // no driver or no device: clear the sticky error, report none
    return 0;
  }
  return count;
}

kiln_status device_name(char* buffer, size_t capacity) {
  int device = 0;
  if (kiln_status s = KILN_REPORT(cudaGetDevice(&device))) return s;
  cudaDeviceProp prop{};
  if (kiln_status s = KILN_REPORT(cudaGetDeviceProperties(&prop, device))) return s;
  if (capacity) std::snprintf(buffer, capacity, "%s", prop.name);
  return KILN_OK;
}

kiln_status device_malloc(size_t bytes, void** ptr) { return KILN_REPORT(cudaMalloc(ptr, bytes ? bytes : 1)); }
void device_free(void* ptr) { cudaFree(ptr); }
kiln_status host_malloc(size_t bytes, void** ptr) { return KILN_REPORT(cudaMallocHost(ptr, bytes ? bytes : 1)); }
void host_free(void* ptr) { cudaFreeHost(ptr); }

kiln_status stream_create(void** stream) {
  return KILN_REPORT(cudaStreamCreateWithFlags(reinterpret_cast<cudaStream_t*>(stream), cudaStreamNonBlocking));
}
void stream_destroy(void* stream) { cudaStreamDestroy(static_cast<cudaStream_t>(stream)); }
kiln_status stream_synchronize(void* stream) { return KILN_REPORT(cudaStreamSynchronize(static_cast<cudaStream_t>(stream))); }

kiln_status event_create(void** event) {
  return KILN_REPORT(cudaEventCreateWithFlags(reinterpret_cast<cudaEvent_t*>(event), cudaEventDisableTiming));
}
void event_destroy(void* event) { cudaEventDestroy(static_cast<cudaEvent_t>(event)); }
kiln_status event_record(void* event, void* stream) {
  return KILN_REPORT(cudaEventRecord(static_cast<cudaEvent_t>(event), static_cast<cudaStream_t>(stream)));
}
kiln_status stream_wait_event(void* stream, void* event) {
  return KILN_REPORT(cudaStreamWaitEvent(static_cast<cudaStream_t>(stream), static_cast<cudaEvent_t>(event), 0));
}

kiln_status copy_async(void* dst, const void* src, size_t bytes, kiln_copy_direction direction, void* stream) {
  cudaMemcpyKind kind = cudaMemcpyDeviceToDevice;
  if (direction == KILN_COPY_HOST_TO_DEVICE) kind = cudaMemcpyHostToDevice;
  else if (direction == KILN_COPY_DEVICE_TO_HOST) kind = cudaMemcpyDeviceToHost;
  return KILN_REPORT(cudaMemcpyAsync(dst, src, bytes, kind, static_cast<cudaStream_t>(stream)));
}

kiln_status fill_async(void* dst, uint8_t byte, size_t bytes, void* stream) {
  return KILN_REPORT(cudaMemsetAsync(dst, byte, bytes, static_cast<cudaStream_t>(stream)));
}

// Thread-local capture mode: another thread's unrelated CUDA calls (a second engine context) stay legal.
kiln_status capture_begin(void* stream) {
  return KILN_REPORT(cudaStreamBeginCapture(static_cast<cudaStream_t>(stream), cudaStreamCaptureModeThreadLocal));
}

kiln_status capture_end(void* stream, void** graph_exec) {
  cudaGraph_t graph = nullptr;
  if (kiln_status s = KILN_REPORT(cudaStreamEndCapture(static_cast<cudaStream_t>(stream), &graph))) return s;
  const kiln_status s = KILN_REPORT(cudaGraphInstantiate(reinterpret_cast<cudaGraphExec_t*>(graph_exec), graph, 0));
  cudaGraphDestroy(graph);
  return s;
}

kiln_status graph_launch(void* graph_exec, void* stream) {
  return KILN_REPORT(cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph_exec), static_cast<cudaStream_t>(stream)));
}
void graph_destroy(void* graph_exec) { cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph_exec)); }

}  // namespace

const kiln_device_api* device_api() {
  static const kiln_device_api api = {
      sizeof(kiln_device_api), KILN_DEVICE_CUDA, &device_count, &device_name,  &device_malloc, &device_free,
      &host_malloc,            &host_free,       &stream_create, &stream_destroy, &stream_synchronize,
      &event_create,           &event_destroy,   &event_record,  &stream_wait_event, &copy_async,
      &fill_async,             &capture_begin,   &capture_end,   &graph_launch,  &graph_destroy};
  return &api;
}

}  // namespace kiln::cuda
