// `kiln inspect --format dot`: the optimized graph for Graphviz. A box per layer (op, kernel, stream colour),
// an ellipse per graph input and output, an edge per tensor labelled with its shape.
#include <map>

#include "inspect.hpp"
#include "ir/dtype.hpp"
#include "ir/tensor.hpp"

namespace kiln::cli {

namespace {

const char* const kStreamColours[] = {"#dbe9f6", "#fde2c8", "#d6f0d2", "#f3d3e6", "#e8e0f5", "#fff2b3"};

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string shape_label(const PlanValue& v) { return dtype_name(v.dtype) + (v.has_shape ? format_dims(v.dims) : "[?]"); }

}  // namespace

std::string inspect_dot(const PlanContents& plan) {
  std::string out = "digraph plan {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
                    "  edge [fontname=\"Helvetica\", fontsize=8];\n";
  std::map<int32_t, std::string> producer;  // value -> dot node id
  for (size_t i = 0; i < plan.values.size(); ++i) {
    const PlanValue& v = plan.values[i];
    if (!v.is_graph_input) continue;
    const std::string id = "in" + std::to_string(i);
    out += "  " + id + " [shape=ellipse, label=\"" + escaped(v.name) + "\\n" + shape_label(v) + "\"];\n";
    producer[static_cast<int32_t>(i)] = id;
  }
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const PlanNode& n = plan.nodes[i];
    const std::string id = "l" + std::to_string(i);
    std::string label = escaped(n.op.name) + "\\n" + escaped(n.op.op_type) + "\\n" + escaped(n.kernel);
    if (plan.schedule.num_streams > 1) label += "\\nstream " + std::to_string(n.stream);
    const bool no_op = writes_in_place(plan, n);
    if (no_op) label += "\\n(inputs written in place)";
    out += "  " + id + " [shape=box, style=\"" + (no_op ? "filled,dashed" : "filled") + "\", fillcolor=\"" +
           kStreamColours[n.stream % 6] + "\", label=\"" + label + "\"];\n";
    for (int32_t v : n.op.inputs) {
      auto from = producer.find(v);
      if (from != producer.end())
        out += "  " + from->second + " -> " + id + " [label=\"" + shape_label(plan.values[static_cast<size_t>(v)]) + "\"];\n";
    }
    for (int32_t v : n.op.outputs)
      if (v >= 0) producer[v] = id;
  }
  for (size_t i = 0; i < plan.values.size(); ++i) {
    const PlanValue& v = plan.values[i];
    if (!v.is_graph_output) continue;
    const std::string id = "out" + std::to_string(i);
    out += "  " + id + " [shape=ellipse, label=\"" + escaped(v.name) + "\\n" + shape_label(v) + "\"];\n";
    auto from = producer.find(static_cast<int32_t>(i));
    if (from != producer.end()) out += "  " + from->second + " -> " + id + ";\n";
  }
  return out + "}\n";
}

}  // namespace kiln::cli
