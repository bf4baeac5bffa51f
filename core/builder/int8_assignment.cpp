#include "builder/int8_assignment.hpp"

#include <algorithm>
#include <vector>

#include "builder/graph_edits.hpp"
#include "builder/quantized_kernels.hpp"
#include "plugin/kernel_flags.hpp"
#include "quantize/qdq_nodes.hpp"
#include "runtime/device_copy.hpp"

namespace kiln {

namespace {

bool is_float_activation(const Value* v) { return v && !v->constant && v->dtype == KILN_DTYPE_FLOAT32; }

bool kept_float(const Node& node, const BuildConfig& config) {
  for (const std::string& pattern : config.keep_fp32)
    if (kernel_name_matches(pattern, node.name)) return true;
  return std::any_of(config.layer_precisions.begin(), config.layer_precisions.end(),
                     [&](const LayerPrecision& p) { return kernel_name_matches(p.pattern, node.name); });
}

class Int8Editor {
 public:
  Int8Editor(Graph& graph, const KernelSelector& selector, const std::map<std::string, float>& scales)
      : graph_(graph), selector_(selector), scales_(scales) {}

  // Tries the node with int8 activations in, then out; keeps the first form a kernel accepts.
  void try_node(Node* node) {
    std::vector<std::pair<size_t, Value*>> inputs;  // position -> the float value read there
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      Value* v = node->inputs[i];
      if (!is_float_activation(v)) continue;
      if (!scales_.count(v->name)) return;  // an activation without a scale keeps the whole layer float
      inputs.emplace_back(i, v);
    }
    if (inputs.empty()) return;
    const KernelEntry* float_kernel = selector_.select(*node).chosen;
    device_ = float_kernel ? float_kernel->desc->device : KILN_DEVICE_CPU;
    for (const auto& [i, v] : inputs) graph_.set_node_input(node, i, twin(v));
    if (!moves_new_integers(node) && (try_int8_outputs(node) || runs_here(selector_.select(*node).chosen, *node))) {
      ++summary_.int8_nodes;
      return;
    }
    for (const auto& [i, v] : inputs) graph_.set_node_input(node, i, v);
  }

  // Feeds twins nothing writes from their float value, and float readers of twins an INT8 layer writes.
  void insert_borders() {
    for (const auto& [real, integers] : twins_) {
      if (!integers->producer && !integers->consumers.empty()) {
        add_quantize_node(graph_, real->name + "/quantize", real, integers, *integers->quant);
        ++summary_.quantize_nodes;
      } else if (integers->producer && (!real->consumers.empty() || graph_.is_graph_output(real))) {
        add_dequantize_node(graph_, real->name + "/dequantize", integers, real, *integers->quant);
        ++summary_.dequantize_nodes;
      }
    }
    graph_.remove_unused_values();
  }

  const Int8Summary& summary() const { return summary_; }

 private:
  // Outputs with a scale that are not graph outputs become the twins; undone unless a kernel accepts.
  bool try_int8_outputs(Node* node) {
    std::vector<std::pair<size_t, Value*>> outputs;
    for (size_t j = 0; j < node->outputs.size(); ++j) {
      Value* v = node->outputs[j];
      if (is_float_activation(v) && scales_.count(v->name) && !graph_.is_graph_output(v)) outputs.emplace_back(j, v);
    }
    if (outputs.empty()) return false;
    for (const auto& [j, v] : outputs) graph_.set_node_output(node, j, twin(v));
    const KernelEntry* kernel = selector_.select(*node).chosen;
    if (is_pass_through(kernel)) give_outputs_input_scale(node, outputs);
    if (runs_here(kernel, *node)) return true;
    for (const auto& [j, v] : outputs) {
      node->outputs[j]->quant = Quantization::per_tensor(scales_.at(v->name));  // its calibrated scale again
      graph_.set_node_output(node, j, v);
    }
    return false;
  }

  // A pass-through layer (max pooling, a reshape) computes nothing, so running it on integers saves only where an
  // INT8 layer already wrote some of them. Where all its inputs would be quantized for it, it stays float and the
  // quantization moves after it: after ResNet-50's stem max pool, onto a quarter of the values.
  bool moves_new_integers(const Node* node) const {
    if (!is_pass_through(selector_.select(*node).chosen)) return false;
    return std::none_of(twins_.begin(), twins_.end(), [&](const std::pair<Value*, Value*>& twin) {
      const Value* integers = twin.second;
      return integers->producer && std::find(node->inputs.begin(), node->inputs.end(), integers) != node->inputs.end();
    });
  }

  // INT8 only on the device the layer would have run on in float: an INT8 kernel on the host is no gain for a
  // layer a device runs (the reference pack's INT8 Gemm where the CUDA pack has only a float one).
  bool runs_here(const KernelEntry* kernel, const Node& node) const {
    return runs_quantized(kernel, node) && kernel->desc->device == device_;
  }

  // A pass-through layer (max pooling, reshapes) is exact only when its output shares its input's scale: the
  // output's own calibrated scale gives way. The output's twin is new, so nothing read the old scale yet.
  void give_outputs_input_scale(Node* node, const std::vector<std::pair<size_t, Value*>>& outputs) {
    std::optional<Quantization> in;
    for (const Value* v : node->inputs)
      if (v && v->quant && !v->constant) {
        if (in && *in != *v->quant) return;  // inputs disagree: runs_quantized declines
        in = v->quant;
      }
    if (!in) return;
    for (const auto& [j, v] : outputs) node->outputs[j]->quant = in;
  }

  // The int8 value standing for float `v`, made once.
  Value* twin(Value* v) {
    for (const auto& [real, integers] : twins_)
      if (real == v) return integers;
    Value* integers = add_twin_value(graph_, *v, KILN_DTYPE_INT8, "/int8");
    integers->quant = Quantization::per_tensor(scales_.at(v->name));
    twins_.emplace_back(v, integers);
    return integers;
  }

  Graph& graph_;
  const KernelSelector& selector_;
  const std::map<std::string, float>& scales_;
  std::vector<std::pair<Value*, Value*>> twins_;  // float -> int8, in creation order so builds are repeatable
  kiln_device device_ = KILN_DEVICE_CPU;          // where the node being tried runs in float
  Int8Summary summary_;
};

// A Concat that copies integers needs its inputs on its output's grid. Their producers, INT8 layers, can write
// any scale, so each input takes the output's (coarser, never clipping: the output's range holds every input's).
std::map<std::string, float> scales_for_concats(const Graph& graph, const KernelSelector& selector,
                                                std::map<std::string, float> scales) {
  for (const auto& node : graph.nodes()) {
    const KernelEntry* kernel = selector.select(*node).chosen;
    if (!kernel || !has_kernel_flag(*kernel, KILN_KERNEL_CONCAT) || !is_pass_through(kernel)) continue;
    const Value* out = node->outputs.empty() ? nullptr : node->outputs[0];
    if (!out || !scales.count(out->name)) continue;
    for (const Value* in : node->inputs)
      if (in && scales.count(in->name)) scales[in->name] = scales.at(out->name);
  }
  return scales;
}

}  // namespace

std::string Int8Summary::describe() const {
  return std::to_string(int8_nodes) + " layer(s) INT8, " + std::to_string(quantize_nodes) + " quantize and " +
         std::to_string(dequantize_nodes) + " dequantize layer(s) inserted";
}

Int8Summary assign_int8(Graph& graph, const KernelSelector& selector, const BuildConfig& config,
                        const std::map<std::string, float>& scales) {
  const std::map<std::string, float> unified = scales_for_concats(graph, selector, scales);
  Int8Editor editor(graph, selector, unified);
  for (Node* node : graph.topological_order())
    if (!is_copy_node(*node) && !is_quantize_node(*node) && !is_dequantize_node(*node) && !kept_float(*node, config))
      editor.try_node(node);
  editor.insert_borders();
  return editor.summary();
}

}  // namespace kiln
