// Shared by the graph-pass tests: hand-built graphs, the plugins they load, and small tensors.
#ifndef KILN_TESTS_PASS_TEST_SUPPORT_HPP
#define KILN_TESTS_PASS_TEST_SUPPORT_HPP

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "passes/pass_manager.hpp"

namespace kiln::testing {

inline std::string reference_pack() { return std::string(KILN_PLUGIN_DIR) + "/libkiln_cpu_reference.so"; }
inline std::string test_plugin(const std::string& name) {
  return std::string(KILN_TEST_PLUGIN_DIR) + "/lib" + name + ".so";
}

// A graph built node by node: float32 values unless said otherwise.
class GraphBuilder {
 public:
  explicit GraphBuilder(int opset = 13) : graph_(std::make_unique<Graph>()) { graph_->opsets[""] = opset; }

  Value* input(const std::string& name, std::vector<int64_t> dims, DataType dtype = KILN_DTYPE_FLOAT32) {
    Value* v = typed(graph_->add_value(name), std::move(dims), dtype);
    v->is_graph_input = true;
    graph_->inputs().push_back(v);
    return v;
  }
  Value* constant(const std::string& name, const Tensor& tensor) {
    Value* v = typed(graph_->add_value(name), tensor.dims(), tensor.dtype());
    v->constant = tensor;
    return v;
  }
  // A node of `op` reading `inputs` (nullptr: omitted) and writing new values named `outputs` ("": omitted).
  Node* node(const std::string& op, std::vector<Value*> inputs, const std::vector<std::string>& outputs,
             const std::string& domain = "") {
    auto n = std::make_unique<Node>();
    n->name = op + "_" + std::to_string(graph_->nodes().size());
    n->op_type = op;
    n->domain = domain;
    n->opset = graph_->opsets.count(domain) ? graph_->opsets[domain] : 1;
    n->inputs = std::move(inputs);
    for (const std::string& out : outputs) n->outputs.push_back(out.empty() ? nullptr : graph_->add_value(out));
    return graph_->add_node(std::move(n));
  }
  // Shorthand for a one-output node; returns its output.
  Value* op(const std::string& op, std::vector<Value*> inputs, const std::string& output,
            const std::string& domain = "") {
    return node(op, std::move(inputs), {output}, domain)->outputs[0];
  }
  void output(Value* v) {
    v->is_graph_output = true;
    graph_->outputs().push_back(v);
  }
  static Value* typed(Value* v, std::vector<int64_t> dims, DataType dtype = KILN_DTYPE_FLOAT32) {
    v->dtype = dtype;
    v->has_shape = true;
    v->dims = std::move(dims);
    v->symbols.assign(v->dims.size(), "");
    return v;
  }

  Graph& graph() { return *graph_; }
  std::unique_ptr<Graph> take() { return std::move(graph_); }

 private:
  std::unique_ptr<Graph> graph_;
};

// Loaded plugins, a config and the selector over them: what a pass needs.
struct PassFixture {
  explicit PassFixture(const std::vector<std::string>& plugins = {reference_pack()}) {
    for (const std::string& path : plugins) registry.load(path);
  }
  PassFixture(const PassFixture&) = delete;  // the selector and context refer to the members
  PluginRegistry registry;
  BuildConfig config;
  KernelSelector selector{registry, config};
  PassContext context{registry, config, selector, selector};
};


// Attributes of each kind, for hand-built nodes (ir/attribute.hpp).
using kiln::float_attr;
using kiln::int_attr;
using kiln::ints_attr;
using kiln::string_attr;

inline Tensor floats(std::vector<int64_t> dims, const std::vector<float>& values) {
  Tensor t(KILN_DTYPE_FLOAT32, std::move(dims));
  for (size_t i = 0; i < values.size(); ++i) t.as<float>()[i] = values[i];
  return t;
}

inline Tensor random_floats(std::vector<int64_t> dims, uint64_t seed) {
  Tensor t(KILN_DTYPE_FLOAT32, std::move(dims));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-2.f, 2.f);
  for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = dist(rng);
  return t;
}

inline size_t count_ops(const Graph& graph, const std::string& op) {
  size_t n = 0;
  for (const auto& node : graph.nodes()) n += node->op_type == op;
  return n;
}

}  // namespace kiln::testing

#endif  // KILN_TESTS_PASS_TEST_SUPPORT_HPP
