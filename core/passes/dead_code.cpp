#include "passes/dead_code.hpp"

#include <unordered_set>

namespace kiln {

namespace {

// Nodes some graph output depends on: a walk from the outputs back through producers.
std::unordered_set<const Node*> live_nodes(const Graph& graph) {
  std::unordered_set<const Node*> live;
  std::vector<const Value*> pending(graph.outputs().begin(), graph.outputs().end());
  while (!pending.empty()) {
    const Value* v = pending.back();
    pending.pop_back();
    if (!v || !v->producer || !live.insert(v->producer).second) continue;
    pending.insert(pending.end(), v->producer->inputs.begin(), v->producer->inputs.end());
  }
  return live;
}

}  // namespace

DeadCodeResult eliminate_dead_code(Graph& graph) {
  const std::unordered_set<const Node*> live = live_nodes(graph);
  std::vector<Node*> dead;
  for (const auto& n : graph.nodes())
    if (!live.count(n.get())) dead.push_back(n.get());
  for (Node* n : dead) graph.remove_node(n);
  DeadCodeResult result;
  result.nodes = dead.size();
  result.values = graph.remove_unused_values();
  return result;
}

Pass dead_code_pass() {
  return {"dead-code elimination", [](Graph& graph, const PassContext&) {
            const DeadCodeResult r = eliminate_dead_code(graph);
            return std::to_string(r.nodes) + " nodes and " + std::to_string(r.values) + " values removed";
          }};
}

}  // namespace kiln
