#include "builder/qdq_folding.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "builder/quantized_kernels.hpp"
#include "quantize/qdq_nodes.hpp"
#include "runtime/device_copy.hpp"

namespace kiln {

namespace {

bool is_qdq(const Node& node) { return is_quantize_node(node) || is_dequantize_node(node); }

// Marks every integer activation a Q/DQ node writes or reads with that node's parameters, when all such
// nodes agree (per tensor only: activations are never per-axis quantized). Returns the values that conflict.
std::set<const Value*> mark_integer_values(Graph& graph) {
  std::set<Value*> conflicting;
  for (const auto& node : graph.nodes()) {
    if (!is_qdq(*node)) continue;
    Value* integers = is_quantize_node(*node) ? node->outputs[0] : node->inputs[0];
    if (!integers || integers->constant) continue;
    const std::optional<Quantization> q = qdq_parameters(*node);
    if (!q || !q->per_tensor()) conflicting.insert(integers);
    else if (!integers->quant) integers->quant = q;
    else if (*integers->quant != *q) conflicting.insert(integers);
  }
  for (Value* v : conflicting) v->quant.reset();
  return {conflicting.begin(), conflicting.end()};
}

// The integers a float activation is the dequantization of, when its producer is a DequantizeLinear of a
// marked integer value with the same parameters.
Value* integers_behind(const Value* v, const std::set<const Value*>& conflicting) {
  if (!v || v->constant || !v->producer || !is_dequantize_node(*v->producer)) return nullptr;
  Value* integers = v->producer->inputs[0];
  const std::optional<Quantization> q = qdq_parameters(*v->producer);
  if (!integers->quant || conflicting.count(integers) || !q || *q != *integers->quant) return nullptr;
  return integers;
}

// The QuantizeLinear nodes that are `v`'s only readers, all with the same parameters; empty otherwise.
std::vector<Node*> sole_quantizers(const Graph& graph, const Value* v) {
  if (!v || v->consumers.empty() || graph.is_graph_output(v)) return {};
  std::vector<Node*> quantizers;
  for (Node* reader : v->consumers) {
    if (!is_quantize_node(*reader) || reader->inputs[0] != v || !reader->outputs[0]->quant) return {};
    if (!quantizers.empty() && *reader->outputs[0]->quant != *quantizers.front()->outputs[0]->quant) return {};
    if (std::find(quantizers.begin(), quantizers.end(), reader) == quantizers.end()) quantizers.push_back(reader);
  }
  return quantizers;
}

class Folder {
 public:
  Folder(Graph& graph, const KernelSelector& selector) : graph_(graph), selector_(selector) {}

  void fold_all() {
    const std::set<const Value*> conflicting = mark_integer_values(graph_);
    for (Node* node : graph_.topological_order()) {
      if (removed_.count(node) || is_qdq(*node) || is_copy_node(*node)) continue;  // removed: freed, never read
      std::vector<std::pair<size_t, Value*>> inputs;  // position -> the integers to read there
      for (size_t i = 0; i < node->inputs.size(); ++i)
        if (Value* integers = integers_behind(node->inputs[i], conflicting)) inputs.emplace_back(i, integers);
      if (!inputs.empty()) fold(node, inputs);
    }
    remove_unread_dequantizers();
    graph_.remove_unused_values();
  }

  const QdqFoldingSummary& summary() const { return summary_; }

 private:
  // Reads the integers; then writes integers too where the outputs are only quantized, falling back to float
  // outputs, then to no folding at all, when no kernel accepts.
  void fold(Node* node, const std::vector<std::pair<size_t, Value*>>& inputs) {
    std::vector<Value*> floats;
    for (const auto& [i, integers] : inputs) {
      floats.push_back(node->inputs[i]);
      graph_.set_node_input(node, i, integers);
    }
    if (try_integer_outputs(node) || runs_quantized(selector_.select(*node).chosen, *node)) {
      ++summary_.folded_nodes;
      return;
    }
    for (size_t k = 0; k < inputs.size(); ++k) graph_.set_node_input(node, inputs[k].first, floats[k]);
  }

  bool try_integer_outputs(Node* node) {
    struct Swap {
      size_t output;
      Value* real;
      std::vector<Node*> quantizers;
      std::unique_ptr<Node> first;  // detached while the node tries to write its output
    };
    std::vector<Swap> swaps;
    for (size_t j = 0; j < node->outputs.size(); ++j) {
      std::vector<Node*> quantizers = sole_quantizers(graph_, node->outputs[j]);
      if (quantizers.empty()) continue;
      Swap swap{j, node->outputs[j], quantizers, nullptr};
      Value* integers = quantizers.front()->outputs[0];
      swap.first = graph_.detach_node(quantizers.front());
      graph_.set_node_output(node, j, integers);
      swaps.push_back(std::move(swap));
    }
    if (swaps.empty()) return false;
    if (runs_quantized(selector_.select(*node).chosen, *node)) {
      for (Swap& swap : swaps) {
        summary_.removed_qdq += swap.quantizers.size();
        removed_.insert(swap.quantizers.begin(), swap.quantizers.end());
        for (size_t k = 1; k < swap.quantizers.size(); ++k) {  // the others wrote the same integers
          graph_.redirect_uses(swap.quantizers[k]->outputs[0], node->outputs[swap.output]);
          graph_.remove_node(swap.quantizers[k]);
        }
      }
      return true;
    }
    for (Swap& swap : swaps) {
      graph_.set_node_output(node, swap.output, swap.real);
      graph_.add_node(std::move(swap.first));
    }
    return false;
  }

  void remove_unread_dequantizers() {
    std::vector<Node*> unread;
    for (const auto& node : graph_.nodes())
      if (is_dequantize_node(*node) && node->outputs[0] && node->outputs[0]->consumers.empty() &&
          !graph_.is_graph_output(node->outputs[0]))
        unread.push_back(node.get());
    for (Node* node : unread) graph_.remove_node(node);
    summary_.removed_qdq += unread.size();
  }

  Graph& graph_;
  const KernelSelector& selector_;
  QdqFoldingSummary summary_;
  std::set<const Node*> removed_;
};

}  // namespace

QdqFoldingSummary fold_qdq(Graph& graph, const KernelSelector& selector) {
  Folder folder(graph, selector);
  folder.fold_all();
  return folder.summary();
}

}  // namespace kiln
