#include "kernel_run.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "plugin/kernel_flags.hpp"
#include "prepared_kernel.hpp"
#include "runtime/run_node.hpp"
#include "ir/element_values.hpp"
#include "stored_layout.hpp"

namespace kiln::check {

std::string describe(RunMode mode) {
  switch (mode) {
    case RunMode::Plain: return "";
    case RunMode::StridedOutput: return "strided output";
    case RunMode::InPlace: return "in place on input 0";
    case RunMode::Deserialized: return "after serialize/deserialize";
  }
  return "";
}

bool mode_applies(RunMode mode, const KernelEntry& kernel, const Node& node, const std::vector<Tensor>& inputs,
                  const std::vector<OutputShape>& shapes, bool on_device) {
  // A view into a larger buffer, or input 0's memory, is laid out linear (the builder does neither to NHWC).
  const bool has_output = !shapes.empty() && shapes[0].dtype != KILN_DTYPE_UNDEFINED &&
                          layout_of(node.outputs[0]) == KILN_LAYOUT_LINEAR;
  switch (mode) {
    case RunMode::Plain: return true;
    case RunMode::StridedOutput:
      return !on_device && has_kernel_flag(kernel, KILN_KERNEL_STRIDED_OUTPUT) && has_output && !shapes[0].dims.empty();
    case RunMode::InPlace:
      return !on_device && has_kernel_flag(kernel, KILN_KERNEL_INPLACE_0) && has_output && !inputs.empty() &&
             !inputs[0].empty() && !node.inputs[0]->constant && node.inputs[0]->layout == KILN_LAYOUT_LINEAR &&
             inputs[0].dtype() == shapes[0].dtype &&
             inputs[0].dims() == shapes[0].dims;
    case RunMode::Deserialized: return serializes(*kernel.desc);
  }
  return false;
}

namespace {

// Output 0 as a slice of a buffer 5 elements longer along one axis (what concat elimination hands a producer):
// the buffer is poisoned, and whatever the kernel writes outside the slice is caught afterwards.
class StridedOutput {
 public:
  explicit StridedOutput(const OutputShape& shape) : dims_(shape.dims), element_(dtype_size(shape.dtype)) {
    axis_ = dims_.size() > 1 ? 1 : 0;
    std::vector<int64_t> whole = dims_;
    whole[axis_] += 5;
    strides_.assign(whole.size(), 1);
    for (size_t d = whole.size(); d-- > 1;) strides_[d - 1] = strides_[d] * whole[d];
    total_ = strides_[0] * whole[0];
    void* p = std::aligned_alloc(64, ((static_cast<size_t>(total_) * element_ + 63) / 64 + 1) * 64);
    if (!p) throw std::bad_alloc();
    buffer_ = std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
    poison_byte_ = poison_byte(shape.dtype);
    std::memset(buffer_.get(), poison_byte_, static_cast<size_t>(total_) * element_);
    view_ = Tensor(shape.dtype, dims_, buffer_, buffer_.get() + 2 * strides_[axis_] * element_, strides_);
  }
  const Tensor& view() const { return view_; }

  // Throws KernelFailure when an element outside the view is no longer poison.
  void check_untouched() const {
    std::vector<bool> inside(static_cast<size_t>(total_), false);
    std::vector<int64_t> counter(dims_.size(), 0);
    int64_t at = 2 * strides_[axis_];
    for (int64_t i = 0; i < view_.numel(); ++i) {
      inside[static_cast<size_t>(at)] = true;
      for (size_t d = dims_.size(); d-- > 0;) {
        at += strides_[d];
        if (++counter[d] < dims_[d]) break;
        at -= strides_[d] * dims_[d];
        counter[d] = 0;
      }
    }
    for (int64_t e = 0; e < total_; ++e) {
      if (inside[static_cast<size_t>(e)]) continue;
      const uint8_t* bytes = buffer_.get() + e * static_cast<int64_t>(element_);
      for (size_t b = 0; b < element_; ++b)
        if (bytes[b] != poison_byte_)
          throw KernelFailure("wrote outside its strided output view (element " + std::to_string(e) +
                              " of the enclosing buffer, which is 5 longer along axis " + std::to_string(axis_) + ")");
    }
  }

 private:
  std::vector<int64_t> dims_, strides_;
  size_t element_, axis_ = 0;
  int64_t total_ = 0;
  std::shared_ptr<uint8_t> buffer_;
  uint8_t poison_byte_ = 0;
  Tensor view_;
};

}  // namespace

std::vector<Tensor> run_on_host(const KernelEntry& kernel, const Node& node, const std::vector<Tensor>& inputs,
                                const std::vector<OutputShape>& shapes, RunMode mode) {
  const PreparedKernel state(kernel, node, mode == RunMode::Deserialized);
  std::vector<Tensor> ins, outs;
  for (size_t i = 0; i < inputs.size(); ++i) ins.push_back(stored_as(inputs[i], layout_of(node.inputs[i])));
  for (size_t i = 0; i < shapes.size(); ++i) outs.push_back(poisoned_as(shapes[i], layout_of(node.outputs[i])));
  std::unique_ptr<StridedOutput> strided;
  if (mode == RunMode::StridedOutput) {
    strided = std::make_unique<StridedOutput>(shapes[0]);
    outs[0] = strided->view();
  }
  if (mode == RunMode::InPlace) {
    ins[0] = dense_copy(inputs[0]);  // a copy the kernel may overwrite, shared with output 0
    outs[0] = ins[0];
  }
  std::vector<const Tensor*> present;
  for (const Tensor& t : ins) present.push_back(t.empty() ? nullptr : &t);
  std::vector<uint8_t> workspace;
  execute_layer(kernel, state.get(), node, present, outs, workspace);
  if (strided) strided->check_untouched();
  std::vector<Tensor> dense;
  for (const Tensor& t : outs) dense.push_back(t.empty() ? Tensor() : dense_copy(t));
  return dense;
}

}  // namespace kiln::check
