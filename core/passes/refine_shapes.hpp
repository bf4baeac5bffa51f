// Build-time shape refinement as the engine does it: select a node's kernel, then let the kernel's shape
// function refine the node's output types and shapes. Passes whose decisions read shapes (folding, the
// checks of fused kernels) run it so they see what the engine will.
#ifndef KILN_CORE_REFINE_SHAPES_HPP
#define KILN_CORE_REFINE_SHAPES_HPP

#include "ir/graph.hpp"
#include "select/kernel_selector.hpp"

namespace kiln {

// The kernel selected for `node` after refining its outputs with it; nullptr (nothing refined) when no kernel
// accepts the node, which the engine reports later with every reason.
const KernelEntry* select_and_refine(const KernelSelector& selector, Node& node);

// The same for every node, producers first.
void refine_all_shapes(Graph& graph, const KernelSelector& selector);

}  // namespace kiln

#endif  // KILN_CORE_REFINE_SHAPES_HPP
