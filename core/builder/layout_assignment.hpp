// Channels-last storage: a 4-D value on a device is stored NHWC (logical dims stay N,C,H,W; kernels see the
// strides) when one of the kernels that write or read it declares KILN_IO_PREFERS_NHWC at that position and
// every one of them accepts NHWC there. Only 16- and 8-bit values: channels-last pays where tensor cores run,
// and float32 stays in the layout every kernel and test knows. Graph inputs, outputs and constants stay linear.
#ifndef KILN_CORE_LAYOUT_ASSIGNMENT_HPP
#define KILN_CORE_LAYOUT_ASSIGNMENT_HPP

#include "ir/graph.hpp"
#include "select/kernel_selector.hpp"

namespace kiln {

// Returns how many values became NHWC.
size_t assign_layouts(Graph& graph, const KernelSelector& selector);

// The element strides of a value stored NHWC with logical dims {N, C, H, W}.
std::vector<int64_t> nhwc_strides(const std::vector<int64_t>& dims);

}  // namespace kiln

#endif  // KILN_CORE_LAYOUT_ASSIGNMENT_HPP
