// Device copies of a node's constant inputs. A constant input (an initializer: a Gather's embedding table, a
// Concat's learned token) is host memory at create and stays a host pointer in execute, so a kernel that reads
// it on the device uploads it once, here, and reads the copy.
#ifndef KILN_CUDA_CONSTANT_INPUTS_HPP
#define KILN_CUDA_CONSTANT_INPUTS_HPP

#include <cstddef>
#include <initializer_list>
#include <vector>

#include "common/device_buffer.hpp"
#include "kiln/plugin.hpp"

namespace kiln::cuda {

class ConstantInputs {
 public:
  ConstantInputs() = default;
  // Uploads the constant inputs among `positions`; the second form, those of every input.
  ConstantInputs(const Node& node, std::initializer_list<int> positions) { upload(node, positions); }
  explicit ConstantInputs(const Node& node) {
    std::vector<int> all;
    for (int i = 0; i < node.num_inputs(); ++i) all.push_back(i);
    upload(node, all);
  }

  bool constant(int i) const { return i < static_cast<int>(uploaded_.size()) && uploaded_[static_cast<size_t>(i)]; }

  // Input i's data on the device: the uploaded copy for a constant, else the tensor's own (device) pointer.
  const void* data(const ExecContext& ctx, int i) const {
    return constant(i) ? buffers_[static_cast<size_t>(i)].get() : ctx.input(i).raw();
  }

 private:
  template <class Positions>
  void upload(const Node& node, const Positions& positions) {
    const size_t n = static_cast<size_t>(node.num_inputs());
    buffers_.resize(n);
    uploaded_.assign(n, false);
    for (int i : positions) {
      if (i < 0 || i >= node.num_inputs() || !node.has_input(i)) continue;
      const ValueInfo v = node.input(i);
      if (!v.data || !v.shape_known()) continue;
      const size_t bytes = static_cast<size_t>(v.numel()) * dtype_size(v.dtype);
      if (bytes == 0) continue;  // nothing to read; execute's data pointer is never dereferenced
      buffers_[static_cast<size_t>(i)] = DeviceBuffer(v.data, bytes);
      uploaded_[static_cast<size_t>(i)] = true;
    }
  }

  std::vector<DeviceBuffer> buffers_;
  std::vector<bool> uploaded_;
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONSTANT_INPUTS_HPP
