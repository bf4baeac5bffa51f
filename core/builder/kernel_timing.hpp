// Auto-tuning across kernels (`tuning: {kernels: fastest}`): for a node that several kernels of its device accept,
// each is prepared and run on the node's real shapes (random inputs; constants as they are) and the fastest is
// kept, its timing noted on the layer and stored in the timing cache. Within a kernel, choosing among algorithms
// (cuDNN's, cuBLASLt's) is the kernel's own tuning; this chooses between kernels.
#ifndef KILN_CORE_KERNEL_TIMING_HPP
#define KILN_CORE_KERNEL_TIMING_HPP

#include <map>

#include "ir/graph.hpp"
#include "plugin/build_hooks.hpp"
#include "select/kernel_selector.hpp"

namespace kiln {

// The timed winner of every node where more than one kernel competed. Nodes whose shapes are not all known are
// left to the preference order (and noted so). `hooks` must be active: kernels' own tuning and the notes go there.
std::map<const Node*, const KernelEntry*> time_kernels(const Graph& graph, const KernelSelector& selector,
                                                       const PluginRegistry& registry, BuildHooks& hooks);

}  // namespace kiln

#endif  // KILN_CORE_KERNEL_TIMING_HPP
