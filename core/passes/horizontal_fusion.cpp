#include "passes/horizontal_fusion.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

#include "plugin/kernel_flags.hpp"
#include "passes/refine_shapes.hpp"

namespace kiln {

namespace {

const char* const kStackAttribute = "kiln_stack";

// Attributes as text, for comparing siblings (tensors compare by dtype, dims and bytes).
std::string attributes_key(const Node& node) {
  std::string key;
  for (const auto& [name, a] : node.attributes) {
    key += name + "=" + std::to_string(a.kind) + ":" + std::to_string(a.i) + ":" + std::to_string(a.f) + ":" + a.s;
    for (int64_t v : a.ints) key += "," + std::to_string(v);
    for (float v : a.floats) key += "," + std::to_string(v);
    for (const std::string& v : a.strings) key += "," + v;
    if (a.kind == KILN_ATTR_TENSOR) {
      key += format_dims(a.tensor.dims()) + std::to_string(a.tensor.dtype());
      key.append(static_cast<const char*>(a.tensor.data()), a.tensor.bytes());
    }
    key += ";";
  }
  return key;
}

// The constants a node (and its fused steps) read, other than input 0, in first-use order.
std::vector<const Value*> constant_inputs(const Node& node) {
  std::vector<const Value*> constants;
  for (size_t i = 1; i < node.inputs.size(); ++i)
    if (node.inputs[i]) constants.push_back(node.inputs[i]);
  return constants;
}

// What siblings must share to merge: op, attributes, fused steps, which inputs are present, and every constant's
// dtype and dims past axis 0. Empty when the node cannot merge at all.
std::string sibling_key(const Node& node) {
  const std::vector<const Value*> constants = constant_inputs(node);
  if (constants.empty() || node.outputs.empty() || !node.outputs[0]) return "";
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (node.outputs[i] && (!node.outputs[i]->consumers.empty() || node.outputs[i]->is_graph_output)) return "";
  std::string key = node.domain + "::" + node.op_type + "@" + std::to_string(node.opset) + "|" + attributes_key(node);
  for (size_t i = 1; i < node.inputs.size(); ++i) {
    const Value* v = node.inputs[i];
    if (!v) {
      key += "|-";
      continue;
    }
    if (!v->constant || v->constant->rank() < 1) return "";  // input 0 read again, or any computed input
    const auto first_use = std::find(node.inputs.begin() + 1, node.inputs.end(), v) - node.inputs.begin();
    if (static_cast<size_t>(first_use) < i) {  // one constant at two positions: siblings must repeat it alike
      key += "|=" + std::to_string(first_use);
      continue;
    }
    std::vector<int64_t> rest = v->constant->dims();
    rest.erase(rest.begin());
    key += "|" + std::to_string(v->constant->dtype()) + format_dims(rest);
  }
  for (const auto& step : node.pattern) key += "|step " + step->op_type + "(" + attributes_key(*step) + ")";
  return key;
}

// The siblings' constants at one position, stacked along axis 0: row-major, so their bytes one after another.
Tensor stack(const std::vector<const Tensor*>& parts) {
  std::vector<int64_t> dims = parts[0]->dims();
  dims[0] = 0;
  for (const Tensor* t : parts) dims[0] += t->dims()[0];
  Tensor out(parts[0]->dtype(), dims);
  size_t at = 0;
  for (const Tensor* t : parts) {
    std::memcpy(static_cast<uint8_t*>(out.data()) + at, t->data(), t->bytes());
    at += t->bytes();
  }
  return out;
}

class SiblingMerger {
 public:
  SiblingMerger(Graph& graph, const PassContext& context) : graph_(graph), context_(context) {}

  void merge_all() {
    std::vector<const Value*> shared;  // a snapshot: merging adds values (the stacked constants)
    for (const auto& v : graph_.values())
      if (v->consumers.size() >= 2) shared.push_back(v.get());
    for (const Value* v : shared)
      for (auto& [key, group] : groups_of(*v))
        if (group.size() >= 2) try_merge(group);
  }

  const HorizontalFusionResult& result() const { return result_; }

 private:
  // The readers of `value` at input 0 whose kernel stacks, grouped by what they must share.
  std::map<std::string, std::vector<Node*>> groups_of(const Value& value) {
    std::map<std::string, std::vector<Node*>> groups;
    for (Node* reader : value.consumers) {
      if (merged_away_.count(reader) || reader->inputs.empty() || reader->inputs[0] != &value) continue;
      const Selection selection = context_.selector.select(*reader);
      if (!selection.chosen || !has_kernel_flag(*selection.chosen, KILN_KERNEL_STACKABLE)) continue;
      const std::string key = sibling_key(*reader);
      if (!key.empty()) groups[std::string(selection.chosen->desc->name) + "#" + key].push_back(reader);
    }
    for (auto& [key, group] : groups) {  // a node listed twice among the consumers reads the value twice
      std::sort(group.begin(), group.end());
      group.erase(std::unique(group.begin(), group.end()), group.end());
    }
    return groups;
  }

  // New constants holding the siblings' constants stacked, mapped from the first sibling's.
  std::unordered_map<const Value*, Value*> stacked_constants(const std::vector<Node*>& siblings) {
    std::unordered_map<const Value*, Value*> stacked;
    for (size_t i = 1; i < siblings[0]->inputs.size(); ++i) {
      const Value* first = siblings[0]->inputs[i];
      if (!first || stacked.count(first)) continue;
      std::vector<const Tensor*> parts;
      for (const Node* s : siblings) parts.push_back(&*s->inputs[i]->constant);
      Value* v = graph_.add_value(unique_value_name(first->name + "_stacked"));
      v->constant = stack(parts);
      v->dtype = v->constant->dtype();
      v->has_shape = true;
      v->dims = v->constant->dims();
      v->symbols.assign(v->dims.size(), "");
      stacked[first] = v;
    }
    return stacked;
  }

  std::unique_ptr<Node> merged_node(const std::vector<Node*>& siblings,
                                    const std::unordered_map<const Value*, Value*>& stacked) {
    const Node& first = *siblings[0];
    auto merged = std::make_unique<Node>();
    merged->op_type = first.op_type;
    merged->domain = first.domain;
    merged->opset = first.opset;
    merged->attributes = first.attributes;
    for (const Node* s : siblings) merged->name += (merged->name.empty() ? "" : "&") + s->name;
    auto remap = [&](Value* v) -> Value* {
      auto it = stacked.find(v);
      return it == stacked.end() ? v : it->second;
    };
    for (Value* v : first.inputs) merged->inputs.push_back(remap(v));
    for (const auto& step : first.pattern) {
      auto copy = std::make_unique<Node>(Node{step->name, step->op_type, step->domain, step->opset, {}, step->outputs,
                                              step->attributes, {}});
      for (Value* v : step->inputs) copy->inputs.push_back(remap(v));
      merged->pattern.push_back(std::move(copy));
    }
    Attribute sizes;
    sizes.kind = KILN_ATTR_INTS;
    const Value* first_constant = constant_inputs(first)[0];
    size_t position = 1;
    while (first.inputs[position] != first_constant) ++position;
    for (const Node* s : siblings) sizes.ints.push_back(s->inputs[position]->constant->dims()[0]);
    merged->attributes[kStackAttribute] = sizes;
    for (const Node* s : siblings) merged->outputs.push_back(s->outputs[0]);
    return merged;
  }

  void try_merge(const std::vector<Node*>& siblings) {
    const std::unordered_map<const Value*, Value*> stacked = stacked_constants(siblings);
    std::unique_ptr<Node> merged = merged_node(siblings, stacked);
    const Selection mine = context_.selector.select(*siblings[0]);
    const Selection theirs = context_.selector.select(*merged);
    if (!theirs.chosen || theirs.chosen != mine.chosen) return;  // declined: the unused constants go with DCE
    for (Node* s : siblings) {
      merged_away_[s] = true;
      graph_.remove_node(s);
    }
    graph_.add_node(std::move(merged));
    ++result_.merged;
    result_.replaced += siblings.size();
  }

  std::string unique_value_name(const std::string& base) const {
    std::string name = base;
    for (int k = 2; graph_.find_value(name); ++k) name = base + "_" + std::to_string(k);
    return name;
  }

  Graph& graph_;
  const PassContext& context_;
  std::unordered_map<const Node*, bool> merged_away_;
  HorizontalFusionResult result_;
};

}  // namespace

HorizontalFusionResult fuse_siblings(Graph& graph, const PassContext& context) {
  refine_all_shapes(graph, context.selector);  // kernels' checks read the shapes the engine will see
  SiblingMerger merger(graph, context);
  merger.merge_all();
  return merger.result();
}

Pass horizontal_fusion_pass() {
  return {"horizontal fusion", [](Graph& graph, const PassContext& context) {
            const HorizontalFusionResult r = fuse_siblings(graph, context);
            return std::to_string(r.replaced) + " sibling nodes merged into " + std::to_string(r.merged);
          }};
}

}  // namespace kiln
