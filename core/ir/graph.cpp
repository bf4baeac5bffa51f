#include "ir/graph.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace kiln {

std::string op_label(const std::string& domain, const std::string& op_type) {
  return domain.empty() ? op_type : domain + "::" + op_type;
}

bool Value::shape_known() const {
  if (!has_shape) return false;
  return std::all_of(dims.begin(), dims.end(), [](int64_t d) { return d >= 0; });
}

std::string Value::describe() const {
  return dtype_name(dtype) + (has_shape ? format_dims(dims) : std::string("[rank ?]"));
}

const Attribute* Node::attribute(const std::string& attr) const {
  auto it = attributes.find(attr);
  return it == attributes.end() ? nullptr : &it->second;
}

std::string Node::label() const {
  return "node '" + name + "' (" + op_label(domain, op_type) + ")";
}

Value* Graph::add_value(const std::string& value_name) {
  if (by_name_.count(value_name)) throw Error("value '" + value_name + "' is defined twice");
  values_.push_back(std::make_unique<Value>());
  Value* v = values_.back().get();
  v->name = value_name;
  by_name_[value_name] = v;
  return v;
}

Value* Graph::find_value(const std::string& value_name) const {
  auto it = by_name_.find(value_name);
  return it == by_name_.end() ? nullptr : it->second;
}

Node* Graph::add_node(std::unique_ptr<Node> node) {
  Node* n = node.get();
  for (Value* in : n->inputs)
    if (in) in->consumers.push_back(n);
  for (Value* out : n->outputs) {
    if (!out) continue;
    if (out->producer)
      throw Error(n->label() + ": output '" + out->name + "' is already produced by " + out->producer->label());
    out->producer = n;
  }
  nodes_.push_back(std::move(node));
  return n;
}

std::vector<Node*> Graph::topological_order() const {
  // Kahn's algorithm, stable with respect to the model's node order.
  std::map<const Node*, size_t> pending;
  for (const auto& n : nodes_) {
    size_t count = 0;
    for (const Value* in : n->inputs)
      if (in && in->producer) ++count;
    pending[n.get()] = count;
  }
  std::vector<Node*> order;
  std::vector<Node*> ready;
  for (const auto& n : nodes_)
    if (pending[n.get()] == 0) ready.push_back(n.get());
  size_t next = 0;
  while (next < ready.size()) {
    Node* n = ready[next++];
    order.push_back(n);
    for (const Value* out : n->outputs) {
      if (!out) continue;
      for (Node* consumer : out->consumers) {
        // `consumers` lists a node once per input slot, matching how `pending` counted it.
        if (--pending[consumer] == 0) ready.push_back(consumer);
      }
    }
  }
  if (order.size() != nodes_.size()) {
    for (const auto& n : nodes_)
      if (pending[n.get()] > 0)
        throw Error("the graph has a cycle: " + n->label() + " depends, directly or through other nodes, on its own outputs");
  }
  return order;
}

}  // namespace kiln
