// A deep copy of a graph: values (constants included), nodes with their fused pattern steps, inputs, outputs
// and opsets. Calibration runs a copy, edited for observation, while the original goes on to be built.
// Constants share their bytes with the original: passes replace a constant tensor, never write into one.
#ifndef KILN_CORE_GRAPH_CLONE_HPP
#define KILN_CORE_GRAPH_CLONE_HPP

#include <memory>

#include "ir/graph.hpp"

namespace kiln {

std::unique_ptr<Graph> clone_graph(const Graph& graph);

}  // namespace kiln

#endif  // KILN_CORE_GRAPH_CLONE_HPP
