#include "common/tuning.hpp"

#include <algorithm>
#include <cstdio>

#include "common/cuda_check.hpp"

namespace kiln::cuda {

namespace {

// A pair of timing events, destroyed with the scope.
struct EventPair {
  cudaEvent_t start = nullptr, stop = nullptr;
  EventPair() {
    KILN_CUDA(cudaEventCreate(&start));
    KILN_CUDA(cudaEventCreate(&stop));
  }
  ~EventPair() {
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;

  // Milliseconds of `launches` replays of `graph`.
  double time(cudaStream_t stream, cudaGraphExec_t graph, int launches) {
    KILN_CUDA(cudaEventRecord(start, stream));
    for (int i = 0; i < launches; ++i) KILN_CUDA(cudaGraphLaunch(graph, stream));
    KILN_CUDA(cudaEventRecord(stop, stream));
    KILN_CUDA(cudaEventSynchronize(stop));
    float ms = 0;
    KILN_CUDA(cudaEventElapsedTime(&ms, start, stop));
    return ms;
  }
};

// A captured graph and its executable, destroyed with the scope.
struct CapturedGraph {
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  ~CapturedGraph() {
    if (exec) cudaGraphExecDestroy(exec);
    if (graph) cudaGraphDestroy(graph);
  }
};

// Captures `calls` calls of `run` on `stream`; false when run declines or the capture breaks (the failure is
// cleared: it concerns this candidate only).
bool capture(cudaStream_t stream, const std::function<bool()>& run, int calls, CapturedGraph* out) {
  KILN_CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  bool ok = true;
  try {
    for (int i = 0; i < calls && ok; ++i) ok = run();
  } catch (...) {
    cudaGraph_t broken = nullptr;
    if (cudaStreamEndCapture(stream, &broken) == cudaSuccess && broken) cudaGraphDestroy(broken);
    (void)cudaGetLastError();
    throw;
  }
  const cudaError_t ended = cudaStreamEndCapture(stream, &out->graph);
  if (!ok || ended != cudaSuccess || !out->graph) {
    (void)cudaGetLastError();
    return false;
  }
  if (cudaGraphInstantiate(&out->exec, out->graph, 0) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return true;
}

}  // namespace

std::string device_label() {
  int device = 0;
  KILN_CUDA(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  KILN_CUDA(cudaGetDeviceProperties(&prop, device));
  return std::string(prop.name) + " sm_" + std::to_string(prop.major) + std::to_string(prop.minor);
}

TimingStream::TimingStream() { KILN_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
TimingStream::~TimingStream() {
  if (!stream_) return;
  cudaStreamSynchronize(stream_);
  cudaStreamDestroy(stream_);
}

TimingStream& timing_stream() {
  thread_local TimingStream stream;
  return stream;
}

double time_candidate(cudaStream_t stream, const std::function<bool()>& run) {
  constexpr double kBudgetMs = 10.0;
  constexpr int kCallsPerGraph = 4, kMaxLaunches = 64;
  // The warm-up call also lets the library build and cache its plan for the shapes, outside the capture.
  if (!run()) return -1;
  KILN_CUDA(cudaStreamSynchronize(stream));
  CapturedGraph graph;
  if (!capture(stream, run, kCallsPerGraph, &graph)) return -1;
  EventPair events;
  const double first = events.time(stream, graph.exec, 1);
  const int launches = std::clamp(static_cast<int>(kBudgetMs / std::max(first, 1e-3)), 1, kMaxLaunches);
  return events.time(stream, graph.exec, launches) / (launches * kCallsPerGraph);
}

DeviceBuffer timing_buffer(size_t bytes) {
  DeviceBuffer buffer(bytes);
  if (bytes) KILN_CUDA(cudaMemset(buffer.get(), 0x3C, bytes));
  return buffer;
}

std::string format_ms(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, ms < 1 ? "%.4f ms" : "%.3f ms", ms);
  return text;
}

std::string format_bytes(size_t bytes) {
  char text[32];
  if (bytes < 1024) std::snprintf(text, sizeof text, "%zu B", bytes);
  else if (bytes < (size_t{1} << 20)) std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  else std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

}  // namespace kiln::cuda
