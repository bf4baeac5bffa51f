// Device memory a kernel owns (packed weights, bias, scratch it sizes in create): allocated in create, freed
// in destroy, never in execute (execute may be captured into a CUDA graph).
#ifndef KILN_CUDA_DEVICE_BUFFER_HPP
#define KILN_CUDA_DEVICE_BUFFER_HPP

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "common/cuda_check.hpp"

namespace kiln::cuda {

// A region's size rounded up so that the next region of a kernel's workspace starts 256 bytes on, as cuDNN's
// own buffers do.
inline size_t workspace_aligned(size_t bytes) { return (bytes + 255) / 256 * 256; }

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes) : bytes_(bytes) {
    if (bytes) KILN_CUDA(cudaMalloc(&data_, bytes));
  }
  // A device copy of `bytes` bytes of host memory.
  DeviceBuffer(const void* host, size_t bytes) : DeviceBuffer(bytes) {
    if (bytes) KILN_CUDA(cudaMemcpy(data_, host, bytes, cudaMemcpyHostToDevice));
  }
  template <class T>
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.data(), host.size() * sizeof(T)) {}
  ~DeviceBuffer() {
    if (data_) cudaFree(data_);
  }
  DeviceBuffer(DeviceBuffer&& other) noexcept { swap(other); }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    swap(other);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* get() const { return data_; }
  template <class T> T* as() const { return static_cast<T*>(data_); }
  size_t bytes() const { return bytes_; }

 private:
  void swap(DeviceBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(bytes_, other.bytes_);
  }
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_DEVICE_BUFFER_HPP
