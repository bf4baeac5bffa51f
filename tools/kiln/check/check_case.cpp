#include "check_case.hpp"

#include "format.hpp"
#include "plugin/kernel_flags.hpp"

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
    if (in.chained) continue;
    s += s.empty() ? "" : " ";
    if (in.data.empty()) s += in.name + " omitted";
    else s += in.name + " " + in.data.describe() + (in.constant ? " (constant" + preview(in.data) + ")" : "");
    if (in.quant) s += " (" + in.quant->describe() + ")";
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
  if (output_dtype != KILN_DTYPE_UNDEFINED)
    s += " -> Y " + dtype_name(output_dtype) + (output_quant ? " (" + output_quant->describe() + ")" : "");
  return s;
}

std::string FusedCase::describe() const {
  std::string s;
  for (const Case& step : steps) {
    const std::string inside = step.describe();
    s += (s.empty() ? "" : " -> ") + step.op_type + (inside.empty() ? "" : " (" + inside + ")");
  }
  return s;
}

std::unique_ptr<Node> CaseGraph::step_node(const Case& c, Value* chained, const std::vector<OutputShape>& shapes) {
  auto node = std::make_unique<Node>();
  node->name = "check_" + c.op_type + "_" + std::to_string(graph_->nodes().size() + graph_->values().size());
  node->op_type = c.op_type;
  node->domain = c.domain;
  node->opset = c.opset;
  node->attributes = c.attributes;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const CaseInput& in = c.inputs[i];
    if (in.chained && chained) {  // in a fused node's pattern (alone, the step reads the data like any input)
      node->inputs.push_back(chained);
      continue;
    }
    inputs_.push_back(in.data);
    if (in.data.empty()) {
      node->inputs.push_back(nullptr);
      continue;
    }
    Value* v = graph_->add_value(node->name + "_" + in.name + "_" + std::to_string(i));
    v->dtype = in.data.dtype();
    v->has_shape = true;
    v->dims = in.data.dims();
    v->symbols.assign(v->dims.size(), "");
    v->quant = in.quant;
    if (in.constant) v->constant = in.data;
    else {
      v->is_graph_input = true;
      graph_->inputs().push_back(v);
    }
    node->inputs.push_back(v);
  }
  for (int i = 0; i < c.num_outputs; ++i)
    node->outputs.push_back(graph_->add_value(node->name + "_output_" + std::to_string(i)));
  for (size_t i = 0; i < shapes.size() && i < node->outputs.size(); ++i) {
    Value* v = node->outputs[i];
    v->dtype = shapes[i].dtype;
    v->has_shape = true;
    v->dims = shapes[i].dims;
    v->symbols.assign(v->dims.size(), "");
  }
  if (c.output_dtype != KILN_DTYPE_UNDEFINED) {  // after the shapes: the case's declaration is what INT8 kernels read
    node->outputs[0]->dtype = c.output_dtype;
    node->outputs[0]->quant = c.output_quant;
  }
  return node;
}

CaseGraph::CaseGraph(const Case& c) : graph_(std::make_unique<Graph>()) {
  graph_->opsets[c.domain] = c.opset;
  node_ = graph_->add_node(step_node(c, nullptr, {}));
}

CaseGraph::CaseGraph(const FusedCase& chain, const kiln_kernel_desc& fused,
                     const std::vector<std::vector<OutputShape>>& step_shapes)
    : graph_(std::make_unique<Graph>()) {
  const Case& first = chain.steps.front();
  graph_->opsets[first.domain] = first.opset;
  auto node = std::make_unique<Node>();
  node->name = std::string("check_") + fused.op_type;
  node->op_type = fused.op_type;
  node->domain = fused.domain;
  node->opset = first.opset;
  Value* previous = nullptr;
  for (size_t k = 0; k < chain.steps.size(); ++k) {
    std::unique_ptr<Node> step = step_node(chain.steps[k], previous, step_shapes[k]);
    for (Value* in : step->inputs)
      if (k == 0 || in != previous) node->inputs.push_back(in);
    previous = step->outputs.at(0);
    node->pattern.push_back(std::move(step));
  }
  node->outputs = node->pattern.back()->outputs;
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

bool CaseGraph::store(kiln_layout layout, const kiln_kernel_desc& k) {
  bool any = layout == KILN_LAYOUT_LINEAR;
  for (bool output : {false, true}) {
    const std::vector<Value*>& values = output ? node_->outputs : node_->inputs;
    for (size_t i = 0; i < values.size(); ++i) {
      Value* v = values[i];
      if (!v) continue;
      const kiln_io_spec* spec = io_spec_at(k, output, i);
      const bool takes = spec && (spec->layouts & KILN_LAYOUT_BIT(layout));
      v->layout = takes && !v->constant && v->dims.size() == 4 ? layout : KILN_LAYOUT_LINEAR;
      any = any || v->layout == layout;
    }
  }
  return any;
}

}  // namespace kiln::check
