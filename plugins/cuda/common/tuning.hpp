// What the auto-tuning kernels (cuDNN convolutions, cuBLASLt GEMMs) share: timing candidates on the device
// while a kernel is created, and the parts of a timing-cache key that name the device and the libraries.
//
// A kernel that can run a layer several ways looks its key up with kiln::tuning_get first; on a miss it times
// each candidate on the node's real shapes (scratch buffers of its own, made here), keeps the fastest, stores it
// with kiln::tuning_put and says what it did with Node::note.
#ifndef KILN_CUDA_TUNING_HPP
#define KILN_CUDA_TUNING_HPP

#include <cuda_runtime.h>

#include <cstddef>
#include <functional>
#include <string>

#include "common/device_buffer.hpp"

namespace kiln::cuda {

// The current device for a tuning key: "NVIDIA H100 80GB HBM3 sm_90".
std::string device_label();

// A stream of the kernel's own for timing in create, so that only the timed work lies between the events.
class TimingStream {
 public:
  TimingStream();
  ~TimingStream();
  TimingStream(const TimingStream&) = delete;
  TimingStream& operator=(const TimingStream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

// The calling thread's timing stream, made once: timing on one stream keeps one cuDNN handle for all layers.
TimingStream& timing_stream();

// The mean milliseconds of one call of `run`, which enqueues one candidate's work on `stream` and returns false
// when the library declines it (before enqueuing anything). The calls are captured into a CUDA graph and the
// graph's replays timed, as the engine runs them: what counts is device time, not the library's host overhead
// per call (which dominates small layers when timed eagerly), and a candidate that cannot be captured is out.
// One warm-up call first, then enough replays to fill about 10 ms. Returns a negative value when the candidate
// is declined or breaks the capture.
double time_candidate(cudaStream_t stream, const std::function<bool()>& run);

// Device scratch for timing, filled with the byte 0x3C: a small finite value in float32 (0.0115) and float16
// (1.06), so that the timed arithmetic neither overflows nor runs on zeros.
DeviceBuffer timing_buffer(size_t bytes);

// "0.041 ms", "1.2 MiB": the numbers of a note.
std::string format_ms(double ms);
std::string format_bytes(size_t bytes);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_TUNING_HPP
