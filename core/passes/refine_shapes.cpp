#include "passes/refine_shapes.hpp"

#include "runtime/shape_inference.hpp"

namespace kiln {

const KernelEntry* select_and_refine(const KernelSelector& selector, Node& node) {
  const KernelEntry* chosen = selector.select(node).chosen;
  if (chosen) propagate_shapes(*chosen, node);
  return chosen;
}

void refine_all_shapes(Graph& graph, const KernelSelector& selector) {
  for (Node* node : graph.topological_order()) select_and_refine(selector, *node);
}

}  // namespace kiln
