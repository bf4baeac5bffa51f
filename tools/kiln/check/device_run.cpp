// run_on_device (kernel_run.hpp): a device kernel run through the pack's own kiln_device_api.
#include <memory>

#include "kernel_run.hpp"
#include "plugin/kernel_flags.hpp"
#include "prepared_kernel.hpp"
#include "runtime/run_node.hpp"
#include "ir/element_values.hpp"
#include "stored_layout.hpp"

namespace kiln::check {

namespace {

// Device memory for `bytes` (at least 256, so that empty tensors have a pointer), owned like a host tensor's.
std::shared_ptr<uint8_t> device_buffer(const DeviceApi& device, size_t bytes) {
  DeviceApi::Memory memory = device.malloc(std::max<size_t>(bytes, 256), "a plugin check tensor");
  const kiln_device_api* api = device.raw();
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(memory.release()), [api](uint8_t* p) { api->free(p); });
}

// Device memory for a tensor laid out as the host tensor `like` (dims, strides, layout).
Tensor on_device(const DeviceApi& device, const Tensor& like) {
  std::shared_ptr<uint8_t> buffer = device_buffer(device, like.bytes());
  uint8_t* data = buffer.get();
  return Tensor(like.dtype(), like.dims(), std::move(buffer), data, like.strides()).placed(like.layout(), device.raw()->device);
}

}  // namespace

std::vector<Tensor> run_on_device(const KernelEntry& kernel, const DeviceApi& device, const Node& node,
                                  const std::vector<Tensor>& inputs, const std::vector<OutputShape>& shapes,
                                  RunMode mode) {
  const PreparedKernel state(kernel, node, mode == RunMode::Deserialized);
  DeviceApi::Stream stream = device.stream_create();
  std::vector<Tensor> ins, outs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    const bool stays_on_host =
        t.empty() || node.inputs[i]->constant || io_has_flag(kernel, false, i, KILN_IO_HOST_MEMORY);
    if (stays_on_host) {
      ins.push_back(t);
      continue;
    }
    const Tensor stored = stored_as(t, layout_of(node.inputs[i]));  // its bytes as the kernel reads them
    ins.push_back(on_device(device, stored));
    if (t.bytes()) device.copy(ins.back().data(), stored.data(), t.bytes(), KILN_COPY_HOST_TO_DEVICE, stream.get());
  }
  std::vector<Tensor> host_outs;  // where each output's bytes come back, laid out as on the device
  for (size_t i = 0; i < shapes.size(); ++i) {
    host_outs.push_back(poisoned_as(shapes[i], layout_of(node.outputs[i])));
    if (host_outs.back().empty()) {
      outs.emplace_back();
      continue;
    }
    outs.push_back(on_device(device, host_outs.back()));
    if (outs.back().bytes())
      device.fill(outs.back().data(), poison_byte(shapes[i].dtype), outs.back().bytes(), stream.get());
  }
  std::vector<const Tensor*> present;
  for (const Tensor& t : ins) present.push_back(t.empty() ? nullptr : &t);
  std::vector<DeviceApi::Memory> workspaces;
  execute_device_layer(kernel, state.get(), node, present, outs, stream.get(), [&](size_t bytes) -> void* {
    workspaces.push_back(device.malloc(bytes, "a plugin check workspace"));
    return workspaces.back().get();
  });
  for (size_t i = 0; i < outs.size(); ++i)
    if (!outs[i].empty() && outs[i].bytes())
      device.copy(host_outs[i].data(), outs[i].data(), outs[i].bytes(), KILN_COPY_DEVICE_TO_HOST, stream.get());
  device.synchronize(stream.get());
  std::vector<Tensor> results;
  for (const Tensor& t : host_outs) results.push_back(t.empty() ? Tensor() : dense_copy(t));
  return results;
}

}  // namespace kiln::check
