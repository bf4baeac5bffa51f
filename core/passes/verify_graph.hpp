// The graph's structural invariants, checked after every pass so a pass that breaks an edge fails at once,
// naming what is broken, instead of misbehaving later in selection or at run time.
#ifndef KILN_CORE_VERIFY_GRAPH_HPP
#define KILN_CORE_VERIFY_GRAPH_HPP

#include "ir/graph.hpp"

namespace kiln {

// Throws kiln::Error naming the node or value at fault when: a node's inputs/outputs and the values'
// producer/consumer edges disagree; a value has two producers; a node reads a value nothing defines; a graph
// input or output is not a value of the graph (or an output is never defined); the graph has a cycle; node
// or value names repeat; a fused node's pattern steps name values the graph no longer holds.
void verify_graph(const Graph& graph);

}  // namespace kiln

#endif  // KILN_CORE_VERIFY_GRAPH_HPP
