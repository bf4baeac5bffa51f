#include "builder/device_placement.hpp"

#include <map>

#include "builder/graph_edits.hpp"
#include "plugin/kernel_flags.hpp"
#include "runtime/device_copy.hpp"

namespace kiln {

namespace {

class Placement {
 public:
  Placement(Graph& graph, const KernelSelector& selector) : graph_(graph) {
    for (const auto& node : graph.nodes())
      if (const KernelEntry* k = selector.select(*node).chosen) {
        kernel_of_[node.get()] = k;
        device_of_[node.get()] = k->desc->device;
      }
  }

  void place_outputs() {
    for (const auto& node : graph_.nodes())
      for (Value* v : node->outputs)
        if (v) v->device = device(*node);
  }

  // A graph output written on a device: the writer writes a device twin, which a CopyToHost brings back.
  void bring_outputs_home() {
    for (Value* out : graph_.outputs()) {
      if (out->device == KILN_DEVICE_CPU || !out->producer) continue;
      Node* writer = out->producer;
      Value* twin = add_twin_value(graph_, *out, out->dtype, "/device");
      for (size_t i = 0; i < writer->outputs.size(); ++i)
        if (writer->outputs[i] == out) graph_.set_node_output(writer, i, twin);
      const std::vector<Node*> readers = out->consumers;
      for (Node* reader : readers)
        if (device(*reader) == twin->device) redirect(reader, out, twin);
      out->device = KILN_DEVICE_CPU;
      add_copy(kCopyToHost, twin, out);
    }
  }

  // Every reader on another device than its input reads a copy of it.
  void copy_across_devices() {
    std::vector<Node*> nodes;
    for (const auto& node : graph_.nodes())
      if (!is_copy_node(*node)) nodes.push_back(node.get());
    for (Node* node : nodes) {
      auto chosen = kernel_of_.find(node);
      const KernelEntry* kernel = chosen == kernel_of_.end() ? nullptr : chosen->second;
      for (size_t i = 0; i < node->inputs.size(); ++i) {
        Value* v = node->inputs[i];
        if (!v || v->constant) continue;
        kiln_device wanted = device(*node);
        if (kernel && io_has_flag(*kernel, false, i, KILN_IO_HOST_MEMORY)) wanted = KILN_DEVICE_CPU;
        if (v->device != wanted) graph_.set_node_input(node, i, copy_of(v, wanted));
      }
    }
  }

  size_t copies() const { return copies_.size(); }

 private:
  kiln_device device(const Node& node) const {
    auto it = device_of_.find(&node);
    return it == device_of_.end() ? KILN_DEVICE_CPU : it->second;
  }

  void redirect(Node* reader, Value* from, Value* to) {
    for (size_t j = 0; j < reader->inputs.size(); ++j)
      if (reader->inputs[j] == from) graph_.set_node_input(reader, j, to);
  }

  Value* copy_of(Value* v, kiln_device to) {
    auto key = std::make_pair(v, to);
    if (auto it = copies_.find(key); it != copies_.end()) return it->second;
    Value* twin = add_twin_value(graph_, *v, v->dtype, to == KILN_DEVICE_CPU ? "/host" : "/device");
    twin->device = to;
    add_copy(to == KILN_DEVICE_CPU ? kCopyToHost : kCopyToDevice, v, twin);
    return copies_[key] = twin;
  }

  void add_copy(const char* op, Value* from, Value* to) {
    Node* copy = add_unary_node(graph_, op, kCopyDomain, from->name + "/" + op, from, to);
    device_of_[copy] = to->device;
    if (std::string(op) == kCopyToHost) copies_[{from, KILN_DEVICE_CPU}] = to;
  }

  Graph& graph_;
  std::map<const Node*, const KernelEntry*> kernel_of_;  // as selected before any copy was inserted
  std::map<const Node*, kiln_device> device_of_;
  std::map<std::pair<Value*, kiln_device>, Value*> copies_;
};

}  // namespace

size_t place_on_devices(Graph& graph, const KernelSelector& selector) {
  Placement placement(graph, selector);
  placement.place_outputs();
  placement.bring_outputs_home();
  placement.copy_across_devices();
  return placement.copies();
}

}  // namespace kiln
