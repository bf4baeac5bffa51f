#include "check_case.hpp"

#include "format.hpp"

namespace kiln::check {

namespace {

template <class T> std::string list(const std::vector<T>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? "," : "") + format_number(static_cast<double>(values[i]));
  return s + "]";
}

std::string preview(const Tensor& t) {  // the values of a small integer constant (shapes, axes, pads)
  if ((t.dtype() != KILN_DTYPE_INT64 && t.dtype() != KILN_DTYPE_INT32) || t.numel() > 8) return "";
  return " " + list(t.int_values());
}

}  // namespace

std::string describe_attribute(const Attribute& a) {
  switch (a.kind) {
    case KILN_ATTR_INT: return std::to_string(a.i);
    case KILN_ATTR_FLOAT: return format_number(a.f);
    case KILN_ATTR_STRING: return "\"" + a.s + "\"";
    case KILN_ATTR_INTS: return list(a.ints);
    case KILN_ATTR_FLOATS: return list(a.floats);
    case KILN_ATTR_TENSOR: return a.tensor.describe();
    default: return "?";
  }
}

std::string Case::describe() const {
  std::string s;
  for (const CaseInput& in : inputs) {
    s += s.empty() ? "" : " ";
    if (in.data.empty()) s += in.name + " omitted";
    else s += in.name + " " + in.data.describe() + (in.constant ? " (constant" + preview(in.data) + ")" : "");
  }
  if (!attributes.empty()) {
    s += " attrs {";
    bool first = true;
    for (const auto& [name, value] : attributes) {
      s += (first ? "" : ", ") + name + ": " + describe_attribute(value);
      first = false;
    }
    s += "}";
  }
  return s;
}

CaseGraph::CaseGraph(const Case& c) : graph_(std::make_unique<Graph>()) {
  graph_->opsets[c.domain] = c.opset;
  auto node = std::make_unique<Node>();
  node->name = "check_" + c.op_type;
  node->op_type = c.op_type;
  node->domain = c.domain;
  node->opset = c.opset;
  node->attributes = c.attributes;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const CaseInput& in = c.inputs[i];
    inputs_.push_back(in.data);
    if (in.data.empty()) {
      node->inputs.push_back(nullptr);
      continue;
    }
    Value* v = graph_->add_value(in.name + "_" + std::to_string(i));
    v->dtype = in.data.dtype();
    v->has_shape = true;
    v->dims = in.data.dims();
    v->symbols.assign(v->dims.size(), "");
    if (in.constant) v->constant = in.data;
    else {
      v->is_graph_input = true;
      graph_->inputs().push_back(v);
    }
    node->inputs.push_back(v);
  }
  for (int i = 0; i < c.num_outputs; ++i) node->outputs.push_back(graph_->add_value("output_" + std::to_string(i)));
  node_ = graph_->add_node(std::move(node));
}

void CaseGraph::set_output_shapes(const std::vector<OutputShape>& shapes) {
  for (size_t i = 0; i < shapes.size() && i < node_->outputs.size(); ++i) {
    Value* v = node_->outputs[i];
    if (!v) continue;
    v->dtype = shapes[i].dtype;
    v->has_shape = true;
    v->dims = shapes[i].dims;
    v->symbols.assign(v->dims.size(), "");
  }
}

}  // namespace kiln::check
