#include "ir/graph.hpp"

#include <algorithm>
#include <unordered_set>

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

bool Graph::is_graph_input(const Value* value) const {
  return value->is_graph_input || std::count(inputs_.begin(), inputs_.end(), value) > 0;
}

bool Graph::is_graph_output(const Value* value) const {
  return value->is_graph_output || std::count(outputs_.begin(), outputs_.end(), value) > 0;
}

namespace {

// Removes one occurrence of `node` from `consumers` (a node is listed once per input slot that reads the value).
void unlink_consumer(std::vector<Node*>& consumers, const Node* node) {
  auto it = std::find(consumers.begin(), consumers.end(), node);
  if (it != consumers.end()) consumers.erase(it);
}

}  // namespace

std::unique_ptr<Node> Graph::detach_node(Node* node) {
  auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n.get() == node; });
  if (it == nodes_.end()) throw Error(node->label() + " is not a node of this graph");
  for (Value* in : node->inputs)
    if (in) unlink_consumer(in->consumers, node);
  for (Value* out : node->outputs)
    if (out && out->producer == node) out->producer = nullptr;
  std::unique_ptr<Node> owned = std::move(*it);
  nodes_.erase(it);
  return owned;
}

void Graph::redirect_uses(Value* from, Value* to) {
  if (from == to) return;
  for (Node* consumer : from->consumers) {
    // `consumers` lists the node once per slot; replace one slot per entry so counts stay matched.
    auto slot = std::find(consumer->inputs.begin(), consumer->inputs.end(), from);
    if (slot != consumer->inputs.end()) *slot = to;
    to->consumers.push_back(consumer);
  }
  from->consumers.clear();
}

void Graph::set_node_output(Node* node, size_t index, Value* value) {
  if (index >= node->outputs.size()) throw Error(node->label() + " has no output " + std::to_string(index));
  if (value->producer && value->producer != node)
    throw Error(node->label() + ": output '" + value->name + "' is already produced by " + value->producer->label());
  Value*& slot = node->outputs[index];
  Value* old = slot;
  if (slot && slot->producer == node) slot->producer = nullptr;
  slot = value;
  value->producer = node;
  for (const auto& step : node->pattern)  // a fused node's last step names the same output
    for (Value*& v : step->outputs)
      if (old && v == old) v = value;
}

void Graph::set_node_input(Node* node, size_t index, Value* value) {
  if (index >= node->inputs.size()) throw Error(node->label() + " has no input " + std::to_string(index));
  Value* old = node->inputs[index];
  if (old == value) return;
  if (old) {
    auto entry = std::find(old->consumers.begin(), old->consumers.end(), node);
    if (entry != old->consumers.end()) old->consumers.erase(entry);
  }
  node->inputs[index] = value;
  if (value) value->consumers.push_back(node);
  if (!old) return;
  for (const auto& step : node->pattern)
    for (Value*& v : step->inputs)
      if (v == old) v = value;
}

Node* Graph::replace_chain(const std::vector<Node*>& chain, std::unique_ptr<Node> fused) {
  if (chain.empty()) throw Error("replace_chain: empty chain for " + fused->label());
  auto first = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n.get() == chain.front(); });
  const auto position = first - nodes_.begin();
  for (Node* step : chain) fused->pattern.push_back(detach_node(step));
  Node* added = add_node(std::move(fused));
  // add_node appended it; move it to where the chain began so the node list keeps the model's order.
  std::rotate(nodes_.begin() + position, nodes_.end() - 1, nodes_.end());
  return added;
}

size_t Graph::remove_unused_values() {
  std::unordered_set<const Value*> named_by_steps;
  for (const auto& n : nodes_)
    for (const auto& step : n->pattern) {
      if (!step) continue;
      named_by_steps.insert(step->inputs.begin(), step->inputs.end());
      named_by_steps.insert(step->outputs.begin(), step->outputs.end());
    }
  auto unused = [&](const std::unique_ptr<Value>& v) {
    return !v->producer && v->consumers.empty() && !is_graph_input(v.get()) && !is_graph_output(v.get()) &&
           !named_by_steps.count(v.get());
  };
  const size_t before = values_.size();
  for (const auto& v : values_)
    if (unused(v)) by_name_.erase(v->name);
  values_.erase(std::remove_if(values_.begin(), values_.end(), unused), values_.end());
  return before - values_.size();
}

Value* Graph::find_input(const std::string& name) const {
  for (Value* v : inputs_)
    if (v->name == name) return v;
  return nullptr;
}

std::string Graph::input_names() const {
  std::string names;
  for (const Value* v : inputs_) names += (names.empty() ? "" : ", ") + v->name;
  return names;
}

}  // namespace kiln
