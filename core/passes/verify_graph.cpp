#include "passes/verify_graph.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "util/error.hpp"

namespace kiln {

namespace {

std::string quoted(const Value* v) { return "value '" + v->name + "'"; }

void check_unique_names(const Graph& graph) {
  std::unordered_set<std::string> node_names, value_names;
  for (const auto& n : graph.nodes())
    if (!node_names.insert(n->name).second) throw Error("graph: two nodes are named '" + n->name + "'");
  for (const auto& v : graph.values()) {
    if (!value_names.insert(v->name).second) throw Error("graph: two values are named '" + v->name + "'");
    if (graph.find_value(v->name) != v.get()) throw Error("graph: " + quoted(v.get()) + " is not found by its name");
  }
}

class EdgeChecker {
 public:
  explicit EdgeChecker(const Graph& graph) : graph_(graph) {
    for (const auto& v : graph.values()) values_.insert(v.get());
    for (const auto& n : graph.nodes()) nodes_.insert(n.get());
  }

  void check() {
    for (const auto& n : graph_.nodes()) check_node(*n);
    for (const auto& v : graph_.values()) check_value(*v);
    check_graph_io();
  }

 private:
  void require_owned(const Node& node, const Value* v, const char* what) const {
    if (!values_.count(v))
      throw Error(node.label() + ": " + what + " is a value the graph does not hold (removed while still in use)");
  }

  void check_node(const Node& node) {
    for (const Value* in : node.inputs) {
      if (!in) continue;
      require_owned(node, in, "an input");
      ++reads_[in][&node];
      if (!in->producer && !in->constant && !graph_.is_graph_input(in))
        throw Error(node.label() + " reads " + quoted(in) + ", which no node produces and is no graph input or constant");
    }
    for (const Value* out : node.outputs) {
      if (!out) continue;
      require_owned(node, out, "an output");
      auto [it, first] = producer_of_.emplace(out, &node);
      if (!first) throw Error(quoted(out) + " is produced by both " + it->second->label() + " and " + node.label());
      if (out->producer != &node)
        throw Error(node.label() + " outputs " + quoted(out) + ", whose producer is " +
                    (out->producer ? out->producer->label() : std::string("not set")));
    }
    for (const auto& step : node.pattern) {
      if (!step) continue;
      for (const std::vector<Value*>* values : {&step->inputs, &step->outputs})
        for (const Value* v : *values)
          if (v) require_owned(node, v, ("pattern step " + step->label() + " names a value that").c_str());
    }
  }

  void check_value(const Value& v) {
    if (v.producer && !producer_of_.count(&v))
      throw Error(quoted(&v) + " names " + (nodes_.count(v.producer) ? v.producer->label() : std::string("a removed node")) +
                  " as its producer, which does not output it");
    if (v.producer && v.constant) throw Error(quoted(&v) + " is a constant and also produced by " + v.producer->label());
    std::unordered_map<const Node*, size_t> listed;
    for (const Node* consumer : v.consumers) {
      if (!nodes_.count(consumer)) throw Error(quoted(&v) + " lists a consumer that is not a node of the graph");
      ++listed[consumer];
    }
    static const std::unordered_map<const Node*, size_t> kNoReads;
    const auto reads = reads_.find(&v);
    const auto& expected = reads == reads_.end() ? kNoReads : reads->second;
    for (const auto& [consumer, count] : expected)
      if (listed[consumer] != count)
        throw Error(consumer->label() + " reads " + quoted(&v) + " " + std::to_string(count) + " time(s), but the value lists it " +
                    std::to_string(listed[consumer]) + " time(s) as a consumer");
    for (const auto& [consumer, count] : listed)
      if (!expected.count(consumer) && count > 0)
        throw Error(quoted(&v) + " lists " + consumer->label() + " as a consumer, which does not read it");
  }

  void check_graph_io() const {
    for (const Value* in : graph_.inputs())
      if (!values_.count(in)) throw Error("graph: an input is a value the graph does not hold");
    for (const Value* out : graph_.outputs()) {
      if (!values_.count(out)) throw Error("graph: an output is a value the graph does not hold");
      if (!out->producer && !out->constant && !graph_.is_graph_input(out))
        throw Error("graph output '" + out->name + "' is not produced by any node, nor a graph input or constant");
    }
  }

  const Graph& graph_;
  std::unordered_set<const Value*> values_;
  std::unordered_set<const Node*> nodes_;
  std::unordered_map<const Value*, const Node*> producer_of_;
  std::unordered_map<const Value*, std::unordered_map<const Node*, size_t>> reads_;
};

}  // namespace

void verify_graph(const Graph& graph) {
  check_unique_names(graph);
  EdgeChecker(graph).check();
  graph.topological_order();  // throws naming a node on a cycle
}

}  // namespace kiln
