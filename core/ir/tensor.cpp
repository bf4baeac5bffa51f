#include "ir/tensor.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "util/error.hpp"

namespace kiln {

namespace {
std::shared_ptr<uint8_t> allocate(size_t bytes) {
  // Always allocate at least one cache line, so empty tensors still have a distinct, valid pointer.
  const size_t rounded = ((bytes + 63) / 64) * 64 + 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw std::bad_alloc();
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
}
}  // namespace

Tensor::Tensor(DataType dtype, std::vector<int64_t> dims) : dtype_(dtype), dims_(std::move(dims)) {
  for (int64_t d : dims_)
    if (d < 0) throw Error("cannot allocate a tensor of shape " + format_dims(dims_));
  if (dtype_size(dtype_) == 0) throw Error("cannot hold tensors of type " + dtype_name(dtype_));
  storage_ = allocate(bytes());
}

Tensor::Tensor(DataType dtype, std::vector<int64_t> dims, std::shared_ptr<uint8_t> owner, void* data,
               std::vector<int64_t> strides)
    : dtype_(dtype),
      dims_(std::move(dims)),
      strides_(std::move(strides)),
      storage_(std::move(owner), static_cast<uint8_t*>(data)) {}

void Tensor::fill_bytes(uint8_t byte) {
  if (strides_.empty()) {
    std::memset(data(), byte, bytes());
    return;
  }
  const size_t element = dtype_size(dtype_);
  const int64_t total = numel();
  std::vector<int64_t> counter(dims_.size(), 0);
  int64_t at = 0;  // element offset of the current element
  for (int64_t i = 0; i < total; ++i) {
    std::memset(storage_.get() + at * static_cast<int64_t>(element), byte, element);
    for (size_t d = dims_.size(); d-- > 0;) {
      at += strides_[d];
      if (++counter[d] < dims_[d]) break;
      at -= strides_[d] * dims_[d];
      counter[d] = 0;
    }
  }
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

kiln_tensor Tensor::view() const {
  kiln_tensor t{};
  t.struct_size = sizeof t;
  t.dtype = dtype_;
  t.layout = layout_;
  t.device = device_;
  t.rank = rank();
  t.dims = dims_.data();
  t.strides = strides_.empty() ? nullptr : strides_.data();
  t.data = storage_.get();
  return t;
}

std::vector<int64_t> Tensor::int_values() const {
  std::vector<int64_t> out(static_cast<size_t>(numel()));
  for (size_t i = 0; i < out.size(); ++i) {
    if (dtype_ == KILN_DTYPE_INT64) out[i] = as<int64_t>()[i];
    else if (dtype_ == KILN_DTYPE_INT32) out[i] = as<int32_t>()[i];
    else throw Error("expected an int32 or int64 tensor, got " + dtype_name(dtype_));
  }
  return out;
}

std::string format_dims(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += dims[i] < 0 ? "?" : std::to_string(dims[i]);
  }
  return s + "]";
}

std::string Tensor::describe() const { return dtype_name(dtype_) + format_dims(dims_); }

}  // namespace kiln
