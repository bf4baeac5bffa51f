#include "builder/graph_edits.hpp"

#include <set>

namespace kiln {

namespace {

bool node_named(const Graph& graph, const std::string& name) {
  for (const auto& node : graph.nodes())
    if (node->name == name) return true;
  return false;
}

}  // namespace

std::string unused_value_name(const Graph& graph, const std::string& base) {
  std::string name = base;
  for (int i = 2; graph.find_value(name) || node_named(graph, name); ++i) name = base + "#" + std::to_string(i);
  return name;
}

Value* add_twin_value(Graph& graph, const Value& like, DataType dtype, const std::string& suffix) {
  Value* v = graph.add_value(unused_value_name(graph, like.name + suffix));
  v->dtype = dtype;
  v->has_shape = like.has_shape;
  v->dims = like.dims;
  v->symbols = like.symbols;
  v->layout = like.layout;
  v->device = like.device;
  return v;
}

Node* add_unary_node(Graph& graph, const std::string& op_type, const std::string& domain, const std::string& name,
                     Value* input, Value* output) {
  auto node = std::make_unique<Node>();
  node->name = unused_value_name(graph, name);
  node->op_type = op_type;
  node->domain = domain;
  auto opset = graph.opsets.find(domain);
  node->opset = opset != graph.opsets.end() ? opset->second : 1;
  node->inputs = {input};
  node->outputs = {output};
  return graph.add_node(std::move(node));
}

}  // namespace kiln
