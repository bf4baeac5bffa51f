// A host tensor: dtype, dims and a shared, 64-byte aligned buffer. Initializers, constants and run-time
// values are all Tensors; copies share the buffer.
#ifndef KILN_CORE_TENSOR_HPP
#define KILN_CORE_TENSOR_HPP

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/dtype.hpp"

namespace kiln {

class Tensor {
 public:
  Tensor() = default;
  // Allocates uninitialised storage for dtype x dims.
  Tensor(DataType dtype, std::vector<int64_t> dims);
  // A tensor over `data`, which lies inside memory `owner` keeps alive (a slice of an engine's arena).
  // `strides` (in elements, one per dim) describe a view into a larger tensor; empty means dense.
  Tensor(DataType dtype, std::vector<int64_t> dims, std::shared_ptr<uint8_t> owner, void* data,
         std::vector<int64_t> strides = {});

  // The same tensor described as stored with `layout` on `device` (a device tensor's data is a device pointer:
  // never read it on the host).
  Tensor placed(kiln_layout layout, kiln_device device) const {
    Tensor t = *this;
    t.layout_ = layout;
    t.device_ = device;
    return t;
  }
  kiln_layout layout() const { return layout_; }
  kiln_device device() const { return device_; }
  const std::vector<int64_t>& strides() const { return strides_; }

  DataType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t numel() const;
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  bool empty() const { return dtype_ == KILN_DTYPE_UNDEFINED; }
  bool dense() const { return strides_.empty(); }

  void* data() { return storage_.get(); }
  const void* data() const { return storage_.get(); }
  template <class T> T* as() { return static_cast<T*>(data()); }
  template <class T> const T* as() const { return static_cast<const T*>(data()); }

  // Sets every byte of every element to `byte` (only the elements of a strided view, not the gaps).
  void fill_bytes(uint8_t byte);

  // A view for the plugin ABI; `dims()` must outlive it.
  kiln_tensor view() const;

  // Integer contents (int32 or int64 tensors) as int64.
  std::vector<int64_t> int_values() const;
  // "float32[1,3,224,224]"
  std::string describe() const;

 private:
  DataType dtype_ = KILN_DTYPE_UNDEFINED;
  std::vector<int64_t> dims_;
  std::vector<int64_t> strides_;  // empty: dense row-major
  kiln_layout layout_ = KILN_LAYOUT_LINEAR;
  kiln_device device_ = KILN_DEVICE_CPU;
  std::shared_ptr<uint8_t> storage_;
};

std::string format_dims(const std::vector<int64_t>& dims);

}  // namespace kiln

#endif  // KILN_CORE_TENSOR_HPP
