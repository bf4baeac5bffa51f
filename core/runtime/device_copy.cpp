#include "runtime/device_copy.hpp"

#include <string>

#include "util/error.hpp"

namespace kiln {

const char* const kCopyDomain = "kiln";
const char* const kCopyToDevice = "CopyToDevice";
const char* const kCopyToHost = "CopyToHost";

namespace {

// Output 0 is input 0's dtype and shape.
kiln_status infer_copy(void*, const kiln_host_api* host, const kiln_node*, kiln_infer_ctx* ctx) {
  kiln_value_info input{};
  input.struct_size = sizeof input;
  if (kiln_status s = host->infer_input(ctx, 0, &input)) return s;
  return host->infer_set_output(ctx, 0, input.dtype, input.rank, input.dims);
}

kiln_status create_copy(void*, const kiln_host_api*, const kiln_node*, void** state) {
  *state = nullptr;
  return KILN_OK;
}

kiln_status execute_copy(void*, const kiln_exec_ctx*) { return KILN_ERROR_INTERNAL; }  // the engine copies
void destroy_copy(void*) {}

const kiln_io_spec kAnyIo[] = {{~uint64_t{0}, ~uint32_t{0}, 0}};

kiln_kernel_desc copy_desc(const char* name, const char* op, kiln_device device) {
  kiln_kernel_desc d{};
  d.struct_size = sizeof d;
  d.name = name;
  d.domain = kCopyDomain;
  d.op_type = op;
  d.opset_min = 1;
  d.opset_max = 1 << 30;
  d.device = device;
  d.num_input_specs = 1;
  d.inputs = kAnyIo;
  d.num_output_specs = 1;
  d.outputs = kAnyIo;
  d.infer = &infer_copy;
  d.create = &create_copy;
  d.execute = &execute_copy;
  d.destroy = &destroy_copy;
  return d;
}

// The device of a copy is where its output lives: the device for CopyToDevice, the host for CopyToHost.
const kiln_kernel_desc kToDeviceDesc = copy_desc("kiln.core.CopyToDevice", kCopyToDevice, KILN_DEVICE_CUDA);
const kiln_kernel_desc kToHostDesc = copy_desc("kiln.core.CopyToHost", kCopyToHost, KILN_DEVICE_CPU);
const KernelEntry kToDevice{&kToDeviceDesc, nullptr};
const KernelEntry kToHost{&kToHostDesc, nullptr};

}  // namespace

bool is_copy_node(const Node& node) {
  return node.domain == kCopyDomain && (node.op_type == kCopyToDevice || node.op_type == kCopyToHost);
}

kiln_copy_direction copy_direction(const Node& node) {
  return node.op_type == kCopyToDevice ? KILN_COPY_HOST_TO_DEVICE : KILN_COPY_DEVICE_TO_HOST;
}

bool is_boundary_copy_in(const Node& node) {
  return is_copy_node(node) && copy_direction(node) == KILN_COPY_HOST_TO_DEVICE && node.inputs[0]->is_graph_input;
}

bool is_boundary_copy_out(const Node& node) {
  return is_copy_node(node) && copy_direction(node) == KILN_COPY_DEVICE_TO_HOST && node.outputs[0]->is_graph_output &&
         node.outputs[0]->consumers.empty();
}

const KernelEntry& copy_kernel(const Node& node) {
  if (!is_copy_node(node)) throw Error(node.label() + " is not a copy");
  return node.op_type == kCopyToDevice ? kToDevice : kToHost;
}

const KernelEntry* find_copy_kernel(const std::string& kernel_name) {
  if (kernel_name == kToDeviceDesc.name) return &kToDevice;
  if (kernel_name == kToHostDesc.name) return &kToHost;
  return nullptr;
}

}  // namespace kiln
