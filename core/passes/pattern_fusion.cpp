#include "passes/pattern_fusion.hpp"

#include <algorithm>
#include <unordered_set>

#include "passes/refine_shapes.hpp"
#include "select/pattern_steps.hpp"

namespace kiln {

namespace {

// The one output a chain step passes on, or nullptr when it has several (a chain is single-output).
Value* single_output(const Node& node) {
  Value* single = nullptr;
  for (Value* out : node.outputs) {
    if (!out) continue;
    if (single) return nullptr;
    single = out;
  }
  return single;
}

// The node that reads `node`'s single output, at `chained_input` (-1: anywhere), when it is the only reader.
Node* sole_reader(const Graph& graph, const Node& node, int32_t chained_input) {
  const Value* out = single_output(node);
  if (!out || out->consumers.size() != 1 || graph.is_graph_output(out)) return nullptr;
  Node* reader = out->consumers.front();
  if (!reader->pattern.empty()) return nullptr;  // fused nodes are not fused again
  if (chained_input < 0) return reader;
  const auto position = static_cast<size_t>(chained_input);
  return position < reader->inputs.size() && reader->inputs[position] == out ? reader : nullptr;
}

class ChainMatcher {
 public:
  ChainMatcher(const Graph& graph, const kiln_kernel_desc& kernel) : graph_(graph), kernel_(kernel) {}

  // The longest chain starting at `start` that fits the kernel's pattern; empty when none does.
  std::vector<Node*> match(Node* start) {
    chain_.clear();
    start_ = start;
    if (!start->pattern.empty() || !extend(0, nullptr)) chain_.clear();
    return chain_;
  }

 private:
  // Matches steps [step..] after `previous` (nullptr: nothing matched yet, so the next node is `start_`).
  // An optional step is tried present before absent, which makes the first success the longest.
  bool extend(int32_t step, Node* previous) {
    if (step == kernel_.pattern_length) return !chain_.empty();
    const kiln_pattern_step& s = kernel_.pattern[step];
    Node* next = previous ? sole_reader(graph_, *previous, s.chained_input) : start_;
    if (next && step_accepts(s, *next)) {
      chain_.push_back(next);
      if (extend(step + 1, next)) return true;
      chain_.pop_back();
    }
    return (s.flags & KILN_PATTERN_OPTIONAL) && extend(step + 1, previous);
  }

  const Graph& graph_;
  const kiln_kernel_desc& kernel_;
  Node* start_ = nullptr;
  std::vector<Node*> chain_;
};

// A plain node's copy, reading and writing the same values (unlinked: the graph does not know it).
std::unique_ptr<Node> copy_of(const Node& node) {
  auto copy = std::make_unique<Node>();
  copy->name = node.name;
  copy->op_type = node.op_type;
  copy->domain = node.domain;
  copy->opset = node.opset;
  copy->inputs = node.inputs;
  copy->outputs = node.outputs;
  copy->attributes = node.attributes;
  return copy;
}

// The fused node for `chain`, not yet in the graph. Its pattern holds copies of the chain's nodes, so the
// selector (and the kernel's check) can inspect it while the graph is untouched.
std::unique_ptr<Node> fused_node(const Graph& graph, const kiln_kernel_desc& kernel, const std::vector<Node*>& chain,
                                 const std::string& name) {
  auto fused = std::make_unique<Node>();
  fused->name = name;
  fused->op_type = kernel.op_type;
  fused->domain = kernel.domain;
  const auto opset = graph.opsets.find(fused->domain);
  fused->opset = opset != graph.opsets.end() ? opset->second : chain.front()->opset;
  for (size_t k = 0; k < chain.size(); ++k) {
    const Value* chained = k > 0 ? single_output(*chain[k - 1]) : nullptr;
    for (Value* in : chain[k]->inputs)
      if (k == 0 || in != chained) fused->inputs.push_back(in);
    fused->pattern.push_back(copy_of(*chain[k]));
  }
  fused->outputs = chain.back()->outputs;
  return fused;
}

// "conv1+bn1+relu1", made unique among `taken`.
std::string fused_name(const std::vector<Node*>& chain, const std::unordered_set<std::string>& taken) {
  std::string name;
  for (const Node* n : chain) name += (name.empty() ? "" : "+") + n->name;
  std::string unique = name;
  for (int k = 2; taken.count(unique); ++k) unique = name + "_" + std::to_string(k);
  return unique;
}

// Fused-pattern kernels, longest pattern first (stable: otherwise in load order).
std::vector<const kiln_kernel_desc*> fused_kernels_longest_first(const PluginRegistry& registry) {
  std::vector<const kiln_kernel_desc*> kernels;
  for (const KernelEntry& entry : registry.kernels())
    if (entry.desc->pattern_length > 0) kernels.push_back(entry.desc);
  std::stable_sort(kernels.begin(), kernels.end(),
                   [](const auto* a, const auto* b) { return a->pattern_length > b->pattern_length; });
  return kernels;
}

class Fuser {
 public:
  Fuser(Graph& graph, const PassContext& context) : graph_(graph), context_(context) {
    for (const auto& n : graph.nodes()) names_.insert(n->name);
  }

  void fuse_all(const kiln_kernel_desc& kernel) {
    ChainMatcher matcher(graph_, kernel);
    for (Node* start : graph_.topological_order()) {
      if (fused_away_.count(start)) continue;
      const std::vector<Node*> chain = matcher.match(start);
      if (chain.size() >= 2) try_fuse(kernel, chain);  // one node alone is no fusion
    }
  }

  const PatternFusionResult& result() const { return result_; }

 private:
  void try_fuse(const kiln_kernel_desc& kernel, const std::vector<Node*>& chain) {
    std::unique_ptr<Node> fused = fused_node(graph_, kernel, chain, fused_name(chain, names_));
    const Selection selection = context_.selector.select(*fused);
    if (!selection.chosen) return;  // declined: the chain stays as it was
    if (moves_off_its_device(*selection.chosen, *chain.front())) return;
    fused->pattern.clear();  // replace_chain moves the originals in, in place of the copies
    names_.insert(fused->name);
    ++result_.by_op[op_label(fused->domain, fused->op_type)];
    for (Node* n : chain) fused_away_.insert(n);
    graph_.replace_chain(chain, std::move(fused));
    ++result_.fused;
    result_.replaced += chain.size();
  }

  // Whether the fused kernel runs on another device than the chain's first node would on its own: a pattern only
  // the CPU fallback offers, under a GPU config, would move work the device runs off it (and add copies), so the
  // chain is left to the device's unfused kernels.
  bool moves_off_its_device(const KernelEntry& fused, const Node& first) const {
    const Selection alone = context_.selector.select(first);
    return alone.chosen && alone.chosen->desc->device != fused.desc->device;
  }

  Graph& graph_;
  const PassContext& context_;
  std::unordered_set<std::string> names_;
  std::unordered_set<const Node*> fused_away_;  // nodes now inside a fused node (skip them as chain starts)
  PatternFusionResult result_;
};

}  // namespace

PatternFusionResult fuse_patterns(Graph& graph, const PassContext& context) {
  refine_all_shapes(graph, context.selector);  // fused kernels' checks read the shapes the engine will see
  Fuser fuser(graph, context);
  for (const kiln_kernel_desc* kernel : fused_kernels_longest_first(context.registry)) fuser.fuse_all(*kernel);
  return fuser.result();
}

Pass pattern_fusion_pass() {
  return {"pattern fusion", [](Graph& graph, const PassContext& context) {
            const PatternFusionResult r = fuse_patterns(graph, context);
            std::string summary = std::to_string(r.replaced) + " nodes fused into " + std::to_string(r.fused);
            std::string ops;
            for (const auto& [op, count] : r.by_op) ops += (ops.empty() ? "" : ", ") + std::to_string(count) + " " + op;
            return r.fused ? summary + " (" + ops + ")" : summary;
          }};
}

}  // namespace kiln
