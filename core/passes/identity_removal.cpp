#include "passes/identity_removal.hpp"

#include <algorithm>

#include "plugin/kernel_flags.hpp"

namespace kiln {

namespace {

// Whether some loaded kernel of the node's op is an identity; spares selecting every node of the graph.
bool op_has_identity_kernel(const PluginRegistry& registry, const Node& node) {
  const auto& kernels = registry.kernels();
  return std::any_of(kernels.begin(), kernels.end(), [&](const KernelEntry& k) {
    return k.desc->op_type == node.op_type && k.desc->domain == node.domain && has_kernel_flag(k, KILN_KERNEL_IDENTITY);
  });
}

// The node passes input 0 to output 0, and nothing reads its other outputs (Dropout's mask, say).
bool only_output0_used(const Graph& graph, const Node& node) {
  if (node.inputs.empty() || !node.inputs[0] || node.outputs.empty() || !node.outputs[0]) return false;
  for (size_t i = 1; i < node.outputs.size(); ++i) {
    const Value* out = node.outputs[i];
    if (out && (!out->consumers.empty() || graph.is_graph_output(out))) return false;
  }
  return true;
}

bool selected_as_identity(const KernelSelector& selector, const Node& node) {
  const Selection selection = selector.select(node);
  return selection.chosen && has_kernel_flag(*selection.chosen, KILN_KERNEL_IDENTITY);
}

// A graph output must keep its name, so `output` can only go if `input`'s producer can produce it instead.
bool producer_can_take_over(const Graph& graph, const Value& input) {
  return input.producer && !input.constant && !graph.is_graph_input(&input) && !graph.is_graph_output(&input);
}

// Removes `node`, whose output 0 equals its input 0. Returns false when it must stay (see `kept`).
bool bypass(Graph& graph, Node* node) {
  Value* input = node->inputs[0];
  Value* output = node->outputs[0];
  if (!graph.is_graph_output(output)) {
    graph.redirect_uses(output, input);
    graph.remove_node(node);
    return true;
  }
  if (!producer_can_take_over(graph, *input)) return false;
  Node* producer = input->producer;
  const size_t slot = static_cast<size_t>(
      std::find(producer->outputs.begin(), producer->outputs.end(), input) - producer->outputs.begin());
  graph.remove_node(node);
  graph.redirect_uses(input, output);
  graph.set_node_output(producer, slot, output);
  return true;
}

}  // namespace

IdentityRemovalResult remove_identities(Graph& graph, const PassContext& context) {
  IdentityRemovalResult result;
  for (Node* node : graph.topological_order()) {
    if (!op_has_identity_kernel(context.registry, *node) || !only_output0_used(graph, *node)) continue;
    if (!selected_as_identity(context.selector, *node)) continue;
    if (bypass(graph, node)) ++result.removed;
    else ++result.kept;
  }
  return result;
}

Pass identity_removal_pass() {
  return {"identity removal", [](Graph& graph, const PassContext& context) {
            const IdentityRemovalResult r = remove_identities(graph, context);
            std::string summary = std::to_string(r.removed) + " identity nodes removed";
            if (r.kept) summary += ", " + std::to_string(r.kept) + " kept to give a graph output its name";
            return summary;
          }};
}

}  // namespace kiln
