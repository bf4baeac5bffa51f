#include "ir/graph_clone.hpp"

#include <unordered_map>

namespace kiln {

namespace {

using ValueMap = std::unordered_map<const Value*, Value*>;

Value* mapped(const ValueMap& map, const Value* v) { return v ? map.at(v) : nullptr; }

// The node's copy over the copied values, unlinked (pattern steps are never linked into a graph).
std::unique_ptr<Node> copy_node(const Node& node, const ValueMap& map) {
  auto copy = std::make_unique<Node>();
  copy->name = node.name;
  copy->op_type = node.op_type;
  copy->domain = node.domain;
  copy->opset = node.opset;
  copy->attributes = node.attributes;
  for (const Value* v : node.inputs) copy->inputs.push_back(mapped(map, v));
  for (const Value* v : node.outputs) copy->outputs.push_back(mapped(map, v));
  for (const auto& step : node.pattern) copy->pattern.push_back(copy_node(*step, map));
  return copy;
}

}  // namespace

std::unique_ptr<Graph> clone_graph(const Graph& graph) {
  auto copy = std::make_unique<Graph>();
  copy->name = graph.name;
  copy->opsets = graph.opsets;
  ValueMap map;
  for (const auto& value : graph.values()) {
    const Value& v = *value;
    Value* c = copy->add_value(v.name);
    c->dtype = v.dtype;
    c->has_shape = v.has_shape;
    c->dims = v.dims;
    c->symbols = v.symbols;
    c->constant = v.constant;
    c->is_graph_input = v.is_graph_input;
    c->is_graph_output = v.is_graph_output;
    c->layout = v.layout;
    c->device = v.device;
    c->quant = v.quant;
    map[&v] = c;
  }
  for (const auto& node : graph.nodes()) copy->add_node(copy_node(*node, map));
  for (const Value* v : graph.inputs()) copy->inputs().push_back(map.at(v));
  for (const Value* v : graph.outputs()) copy->outputs().push_back(map.at(v));
  return copy;
}

}  // namespace kiln
