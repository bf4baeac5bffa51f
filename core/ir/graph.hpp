// The core IR: a graph of nodes and values. Values carry dtype and shape (unknown dims are -1, optionally with
// a symbol such as "batch"); initializers are values holding a constant Tensor. Nodes know no operator:
// op_type/domain/opset and attributes are data, and a plugin kernel gives them meaning.
#ifndef KILN_CORE_GRAPH_HPP
#define KILN_CORE_GRAPH_HPP

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/attribute.hpp"
#include "ir/quantization.hpp"
#include "ir/tensor.hpp"

namespace kiln {

struct Node;

// "Conv" for ai.onnx ops, "com.example::Swish" otherwise.
std::string op_label(const std::string& domain, const std::string& op_type);

struct Value {
  std::string name;
  DataType dtype = KILN_DTYPE_UNDEFINED;
  bool has_shape = false;            // false: rank unknown
  std::vector<int64_t> dims;         // -1 where unknown
  std::vector<std::string> symbols;  // per dim, the symbolic name when the model gave one ("" otherwise)
  std::optional<Tensor> constant;    // set for initializers and folded constants
  Node* producer = nullptr;
  std::vector<Node*> consumers;
  bool is_graph_input = false;
  bool is_graph_output = false;
  kiln_layout layout = KILN_LAYOUT_LINEAR;  // how its bytes are ordered (the builder picks NHWC for some 4-D values)
  kiln_device device = KILN_DEVICE_CPU;     // where its bytes live at run time (the builder's placement)
  std::optional<Quantization> quant;        // what an int8/uint8 value's integers mean (or a float constant's grid)

  bool shape_known() const;
  std::string describe() const;  // "float32[1,3,?,?]"
};

struct Node {
  std::string name;  // unique in the graph; the importer names unnamed nodes "<op>_<index>"
  std::string op_type;
  std::string domain;  // "" for ai.onnx
  int opset = 0;       // the model's opset for this node's domain
  std::vector<Value*> inputs;   // nullptr for an omitted optional input
  std::vector<Value*> outputs;  // nullptr for an omitted optional output
  std::map<std::string, Attribute> attributes;

  // The original nodes a fused node stands for (empty for an ordinary node).
  std::vector<std::unique_ptr<Node>> pattern;

  const Attribute* attribute(const std::string& attr) const;
  std::string label() const;  // "node 'conv1' (Conv)"
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // Creates a value; names must be unique.
  Value* add_value(const std::string& name);
  Value* find_value(const std::string& name) const;
  Node* add_node(std::unique_ptr<Node> node);  // links producer/consumer edges

  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  const std::vector<std::unique_ptr<Value>>& values() const { return values_; }
  std::vector<Value*>& inputs() { return inputs_; }
  const std::vector<Value*>& inputs() const { return inputs_; }
  std::vector<Value*>& outputs() { return outputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }

  // domain ("" for ai.onnx) -> opset version, from the model's opset_import.
  std::map<std::string, int> opsets;
  std::string name;

  // Whether `value` is listed among the graph's inputs/outputs (or flagged so by the importer).
  bool is_graph_input(const Value* value) const;
  bool is_graph_output(const Value* value) const;

  // Nodes in an order where every producer precedes its consumers; throws naming a node on a cycle.
  std::vector<Node*> topological_order() const;

  // The graph input named `name`, or nullptr; and "a, b, c", the inputs' names for messages.
  Value* find_input(const std::string& name) const;
  std::string input_names() const;

  // Editing, for the graph passes. Each keeps producer/consumer edges consistent; none touches the graph's
  // input/output lists, so graph input and output names stay as the model gave them.

  // Unlinks `node` from its values and hands it over (its inputs/outputs still name the values).
  std::unique_ptr<Node> detach_node(Node* node);
  void remove_node(Node* node) { detach_node(node); }
  // Every node input that reads `from` reads `to` instead.
  void redirect_uses(Value* from, Value* to);
  // Makes `node` produce `value` at output `index` in place of what it produced there.
  void set_node_output(Node* node, size_t index, Value* value);
  // Makes `node` read `value` at input `index`. A fused node's pattern steps that read the old value read the
  // new one too, so kernels see one story through node_input and node_pattern_step.
  void set_node_input(Node* node, size_t index, Value* value);
  // Replaces `chain` (nodes of this graph) by `fused`, which takes ownership of them as its pattern steps
  // (`fused->pattern` must be empty). The fused node is placed where the chain's first node was.
  Node* replace_chain(const std::vector<Node*>& chain, std::unique_ptr<Node> fused);
  // Drops values nothing produces, consumes or lists as graph input/output (unused initializers included),
  // except those a fused node's pattern steps still name. Returns how many went.
  size_t remove_unused_values();

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::map<std::string, Value*> by_name_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
};

}  // namespace kiln

#endif  // KILN_CORE_GRAPH_HPP
