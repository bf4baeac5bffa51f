// The core's own layers: copies of a value between host and device memory, which the builder inserts where a
// value's reader runs on another device than its writer. They are not plugin kernels: the engine runs them
// through the device API of the pack that brings the device. Each has a kernel descriptor all the same (name,
// device, shape inference), so selection reports, plans and `kiln inspect` treat them like any layer.
#ifndef KILN_CORE_DEVICE_COPY_HPP
#define KILN_CORE_DEVICE_COPY_HPP

#include "ir/graph.hpp"
#include "plugin/plugin_registry.hpp"

namespace kiln {

extern const char* const kCopyDomain;      // "kiln"
extern const char* const kCopyToDevice;    // op type: host -> device
extern const char* const kCopyToHost;      // op type: device -> host

bool is_copy_node(const Node& node);
// KILN_COPY_HOST_TO_DEVICE or KILN_COPY_DEVICE_TO_HOST for a copy node.
kiln_copy_direction copy_direction(const Node& node);
// The copies at the boundary of a device plan, which the engine runs before and after the body (outside a
// captured graph): a graph input copied to the device, and a result copied to a graph output nothing else reads.
bool is_boundary_copy_in(const Node& node);
bool is_boundary_copy_out(const Node& node);
// The kernel entry of a copy node ("kiln.core.CopyToDevice" / "kiln.core.CopyToHost"; no library).
const KernelEntry& copy_kernel(const Node& node);
// The same by kernel name, for plan files; nullptr for any other name.
const KernelEntry* find_copy_kernel(const std::string& kernel_name);

}  // namespace kiln

#endif  // KILN_CORE_DEVICE_COPY_HPP
