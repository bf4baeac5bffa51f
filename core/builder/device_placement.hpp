// Where every value lives, and the copies between host and device memory. A value lives where its producer's
// kernel runs; graph inputs and constants live on the host (a device kernel uploads the constants it needs when
// it is created). A reader on another device reads a copy: one CopyToDevice or CopyToHost per value and
// direction, shared by all such readers. A graph output written on a device is copied to the host, so callers
// always get host tensors from Engine::run.
#ifndef KILN_CORE_DEVICE_PLACEMENT_HPP
#define KILN_CORE_DEVICE_PLACEMENT_HPP

#include "ir/graph.hpp"
#include "select/kernel_selector.hpp"

namespace kiln {

// Sets Value::device on every value and inserts the copies; returns how many copies were inserted.
size_t place_on_devices(Graph& graph, const KernelSelector& selector);

}  // namespace kiln

#endif  // KILN_CORE_DEVICE_PLACEMENT_HPP
