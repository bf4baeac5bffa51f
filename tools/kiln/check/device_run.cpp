// run_on_device (kernel_run.hpp): a device kernel run through the pack's own kiln_device_api.
#include <memory>

#include "kernel_run.hpp"
#include "plugin/kernel_flags.hpp"
#include "prepared_kernel.hpp"
#include "runtime/run_node.hpp"

namespace kiln::check {

namespace {

// Device memory for `bytes` (at least 256, so that empty tensors have a pointer), owned like a host tensor's.
std::shared_ptr<uint8_t> device_buffer(const DeviceApi& device, size_t bytes) {
  DeviceApi::Memory memory = device.malloc(std::max<size_t>(bytes, 256), "a plugin check tensor");
  const kiln_device_api* api = device.raw();
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(memory.release()), [api](uint8_t* p) { api->free(p); });
}

Tensor on_device(const DeviceApi& device, DataType dtype, const std::vector<int64_t>& dims, size_t bytes) {
  std::shared_ptr<uint8_t> buffer = device_buffer(device, bytes);
  uint8_t* data = buffer.get();
  return Tensor(dtype, dims, std::move(buffer), data).placed(KILN_LAYOUT_LINEAR, device.raw()->device);
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
    ins.push_back(on_device(device, t.dtype(), t.dims(), t.bytes()));
    if (t.bytes()) device.copy(ins.back().data(), t.data(), t.bytes(), KILN_COPY_HOST_TO_DEVICE, stream.get());
  }
  for (const OutputShape& shape : shapes) {
    if (shape.dtype == KILN_DTYPE_UNDEFINED) {
      outs.emplace_back();
      continue;
    }
    Tensor host_shape(shape.dtype, shape.dims);
    outs.push_back(on_device(device, shape.dtype, shape.dims, host_shape.bytes()));
    if (host_shape.bytes())
      device.fill(outs.back().data(), poison_byte(shape.dtype), host_shape.bytes(), stream.get());
  }
  std::vector<const Tensor*> present;
  for (const Tensor& t : ins) present.push_back(t.empty() ? nullptr : &t);
  std::vector<DeviceApi::Memory> workspaces;
  execute_device_layer(kernel, state.get(), node, present, outs, stream.get(), [&](size_t bytes) -> void* {
    workspaces.push_back(device.malloc(bytes, "a plugin check workspace"));
    return workspaces.back().get();
  });
  std::vector<Tensor> results;
  for (const Tensor& t : outs) {
    if (t.empty()) {
      results.emplace_back();
      continue;
    }
    Tensor host(t.dtype(), t.dims());
    if (host.bytes()) device.copy(host.data(), t.data(), host.bytes(), KILN_COPY_DEVICE_TO_HOST, stream.get());
    results.push_back(host);
  }
  device.synchronize(stream.get());
  return results;
}

}  // namespace kiln::check
