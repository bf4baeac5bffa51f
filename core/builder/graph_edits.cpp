#include "builder/graph_edits.hpp"

#include <algorithm>
#include <set>

namespace kiln {

namespace {

bool node_named(const Graph& graph, const std::string& name) {
  for (const auto& node : graph.nodes())
    if (node->name == name) return true;
  return false;
}


Value* scalar_constant(Graph& graph, const std::string& name, const Tensor& value) {
  Value* v = graph.add_value(unused_value_name(graph, name));
  v->dtype = value.dtype();
  v->has_shape = true;
  v->constant = value;
  return v;
}

Node* add_qdq_node(Graph& graph, const char* op, const std::string& name, Value* in, Value* out, const Quantization& q) {
  Tensor scale(KILN_DTYPE_FLOAT32, {});
  *scale.as<float>() = q.scales.at(0);
  Tensor zero(q.dtype, {});
  if (q.dtype == KILN_DTYPE_INT8) *zero.as<int8_t>() = static_cast<int8_t>(q.zero_points.at(0));
  else *zero.as<uint8_t>() = static_cast<uint8_t>(q.zero_points.at(0));
  auto node = std::make_unique<Node>();
  node->name = unused_value_name(graph, name);
  node->op_type = op;
  const auto opset = graph.opsets.find("");
  node->opset = std::max(opset != graph.opsets.end() ? opset->second : 13, 13);
  node->inputs = {in, scalar_constant(graph, name + "/scale", scale), scalar_constant(graph, name + "/zero_point", zero)};
  node->outputs = {out};
  return graph.add_node(std::move(node));
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
  if (dtype == like.dtype) v->quant = like.quant;  // a copy of the same integers means what they meant
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

Node* add_quantize_node(Graph& graph, const std::string& name, Value* real, Value* integers, const Quantization& q) {
  return add_qdq_node(graph, "QuantizeLinear", name, real, integers, q);
}

Node* add_dequantize_node(Graph& graph, const std::string& name, Value* integers, Value* real, const Quantization& q) {
  return add_qdq_node(graph, "DequantizeLinear", name, integers, real, q);
}

}  // namespace kiln
