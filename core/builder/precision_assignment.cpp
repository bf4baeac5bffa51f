#include "builder/precision_assignment.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "builder/graph_edits.hpp"
#include "kiln/float16.hpp"
#include "plugin/kernel_flags.hpp"

namespace kiln {

namespace {

bool is_float32_activation(const Value* v) { return v && !v->constant && v->dtype == KILN_DTYPE_FLOAT32; }

// The precision `layer_precisions` gives the node by name (first matching pattern), if any.
std::optional<std::string> layer_override(const Node& node, const BuildConfig& config) {
  for (const LayerPrecision& entry : config.layer_precisions)
    if (kernel_name_matches(entry.pattern, node.name)) return entry.precision;
  return std::nullopt;
}

// Whether the kernel accepts float16 at every float32 activation it reads or writes (and has at least one).
bool kernel_takes_fp16(const Node& node, const kiln_kernel_desc& kernel) {
  bool any = false;
  for (size_t i = 0; i < node.inputs.size(); ++i)
    if (is_float32_activation(node.inputs[i])) {
      if (!io_accepts(kernel, false, i, KILN_DTYPE_FLOAT16)) return false;
      any = true;
    }
  for (size_t i = 0; i < node.outputs.size(); ++i)
    if (node.outputs[i] && node.outputs[i]->dtype == KILN_DTYPE_FLOAT32) {
      if (!io_accepts(kernel, true, i, KILN_DTYPE_FLOAT16)) return false;
      any = true;
    }
  return any;
}

enum class Decision { Host, Int8, Fp16, Fp32 };

// An INT8 layer (it reads quantized activations): its kernel quantizes float32 weights itself.
bool reads_quantized(const Node& node) {
  return std::any_of(node.inputs.begin(), node.inputs.end(), [](const Value* v) { return v && !v->constant && v->quant; });
}

// A QuantizeLinear of a float32 graph input (an INT8 first layer's image): quantizing it in float32 is one pass
// over the image and one rounding, where a Cast to float16 first would be a second pass and a second rounding.
bool quantizes_graph_input(const Node& node) {
  return node.op_type == "QuantizeLinear" && !node.inputs.empty() && node.inputs[0] && node.inputs[0]->is_graph_input &&
         node.inputs[0]->dtype == KILN_DTYPE_FLOAT32;
}

Decision decide(const Node& node, const KernelEntry* kernel, const BuildConfig& config) {
  if (!kernel || kernel->desc->device == KILN_DEVICE_CPU) return Decision::Host;
  if (reads_quantized(node)) return Decision::Int8;
  if (quantizes_graph_input(node)) return Decision::Fp32;
  const std::optional<std::string> wanted = layer_override(node, config);
  // Under int8, device layers left float run FP16 where they can (TensorRT's int8 + fp16).
  const std::string precision = config.precision == "int8" ? "fp16" : config.precision;
  if (wanted.value_or(precision) != "fp16") return Decision::Fp32;
  if (!wanted && has_kernel_flag(*kernel, KILN_KERNEL_PRECISION_SENSITIVE)) return Decision::Fp32;
  return kernel_takes_fp16(node, *kernel->desc) ? Decision::Fp16 : Decision::Fp32;
}

Tensor to_float16(const Tensor& t) {
  Tensor half(KILN_DTYPE_FLOAT16, t.dims());
  const float* from = t.as<float>();
  float16* to = half.as<float16>();
  for (int64_t i = 0; i < t.numel(); ++i) to[i] = float16(from[i]);
  return half;
}

class PrecisionEditor {
 public:
  PrecisionEditor(Graph& graph, std::set<const Node*> fp16) : graph_(graph), fp16_(std::move(fp16)) {}

  // Values produced and read only by FP16 nodes become float16 where they are.
  void convert_inner_values() {
    for (const auto& value : graph_.values()) {
      Value* v = value.get();
      if (!is_float32_activation(v) || v->is_graph_input || v->is_graph_output || !v->producer) continue;
      if (!fp16_.count(v->producer) || v->consumers.empty()) continue;
      if (std::all_of(v->consumers.begin(), v->consumers.end(), [&](const Node* n) { return fp16_.count(n) > 0; }))
        v->dtype = KILN_DTYPE_FLOAT16;
    }
  }

  // A FP16 node's float32 output that must stay float32 (a graph output, a FP32 reader): the node writes a
  // float16 twin, which FP16 readers read directly, and a Cast widens it into the original value.
  void widen_outputs() {
    for (Node* node : fp16_nodes())
      for (size_t i = 0; i < node->outputs.size(); ++i) {
        Value* v = node->outputs[i];
        if (!v || v->dtype != KILN_DTYPE_FLOAT32) continue;
        Value* half = add_twin_value(graph_, *v, KILN_DTYPE_FLOAT16, "/fp16");
        graph_.set_node_output(node, i, half);
        const std::vector<Node*> readers = v->consumers;
        for (Node* reader : readers)
          if (fp16_.count(reader)) redirect_input(reader, v, half);
        add_unary_node(graph_, "Cast", "", node->name + "/to_fp32", half, v)->attributes["to"] = int_attr(KILN_DTYPE_FLOAT32);
        ++casts_;
      }
  }

  // A FP16 node's float32 activations come through one narrowing Cast per value.
  void narrow_inputs() {
    for (Node* node : fp16_nodes())
      for (size_t i = 0; i < node->inputs.size(); ++i) {
        Value* v = node->inputs[i];
        if (v && v->dtype == KILN_DTYPE_FLOAT32 && !v->constant) graph_.set_node_input(node, i, narrowed(v));
      }
  }

  // Its float32 constants stay float32 where its kernel still accepts the node so (weights it folds and converts
  // in full precision); where it does not (elementwise operands of one dtype), they become float16.
  void narrow_constants(const KernelSelector& selector, const std::map<const Node*, const KernelEntry*>& kernels) {
    for (Node* node : fp16_nodes()) {
      if (selector.select(*node).chosen == kernels.at(node)) continue;
      for (size_t i = 0; i < node->inputs.size(); ++i) {
        Value* v = node->inputs[i];
        if (v && v->constant && v->dtype == KILN_DTYPE_FLOAT32 && io_accepts(*kernels.at(node)->desc, false, i, KILN_DTYPE_FLOAT16))
          graph_.set_node_input(node, i, half_constant(v));
      }
    }
  }

  size_t casts() const { return casts_; }

 private:
  std::vector<Node*> fp16_nodes() const {
    std::vector<Node*> nodes;
    for (const auto& node : graph_.nodes())
      if (fp16_.count(node.get())) nodes.push_back(node.get());
    return nodes;
  }

  void redirect_input(Node* reader, Value* from, Value* to) {
    for (size_t j = 0; j < reader->inputs.size(); ++j)
      if (reader->inputs[j] == from) graph_.set_node_input(reader, j, to);
  }

  Value* narrowed(Value* v) {
    auto found = narrowed_.find(v);
    if (found != narrowed_.end()) return found->second;
    Value* half = add_twin_value(graph_, *v, KILN_DTYPE_FLOAT16, "/fp16");
    add_unary_node(graph_, "Cast", "", v->name + "/to_fp16", v, half)->attributes["to"] = int_attr(KILN_DTYPE_FLOAT16);
    ++casts_;
    return narrowed_[v] = half;
  }

  Value* half_constant(Value* v) {
    auto found = narrowed_.find(v);
    if (found != narrowed_.end()) return found->second;
    Value* half = add_twin_value(graph_, *v, KILN_DTYPE_FLOAT16, "/fp16");
    half->constant = to_float16(*v->constant);
    return narrowed_[v] = half;
  }

  Graph& graph_;
  std::set<const Node*> fp16_;
  std::map<Value*, Value*> narrowed_;  // a float32 value -> its float16 twin
  size_t casts_ = 0;
};

}  // namespace

std::string PrecisionSummary::describe() const {
  return std::to_string(fp16_nodes) + " layer(s) FP16, " + std::to_string(fp32_nodes) + " device layer(s) kept FP32, " +
         std::to_string(casts) + " cast(s) inserted";
}

PrecisionSummary assign_precision(Graph& graph, const KernelSelector& selector, const BuildConfig& config) {
  PrecisionSummary summary;
  const bool any_fp16 = config.precision == "fp16" || config.precision == "int8" ||
                        std::any_of(config.layer_precisions.begin(), config.layer_precisions.end(),
                                    [](const LayerPrecision& p) { return p.precision == "fp16"; });
  if (!any_fp16) return summary;
  std::set<const Node*> fp16;
  std::map<const Node*, const KernelEntry*> kernels;
  for (Node* node : graph.topological_order()) {
    const KernelEntry* kernel = selector.select(*node).chosen;
    const Decision d = decide(*node, kernel, config);
    if (d == Decision::Fp16) {
      fp16.insert(node);
      kernels[node] = kernel;
    }
    summary.fp16_nodes += d == Decision::Fp16;
    summary.fp32_nodes += d == Decision::Fp32;
  }
  if (fp16.empty()) return summary;
  PrecisionEditor editor(graph, fp16);
  editor.convert_inner_values();
  editor.widen_outputs();
  editor.narrow_inputs();
  editor.narrow_constants(selector, kernels);
  summary.casts = editor.casts();
  return summary;
}

}  // namespace kiln
