#include "passes/constant_folding.hpp"

#include <algorithm>

#include "passes/refine_shapes.hpp"
#include "plugin/kernel_flags.hpp"
#include "quantize/qdq_nodes.hpp"
#include "runtime/run_node.hpp"

namespace kiln {

namespace {

bool all_inputs_constant(const Node& node) {
  return std::all_of(node.inputs.begin(), node.inputs.end(), [](const Value* v) { return !v || v->constant; });
}

// Folding a node whose outputs nothing reads would only cost time: dead-code elimination drops it.
bool some_output_used(const Graph& graph, const Node& node) {
  return std::any_of(node.outputs.begin(), node.outputs.end(), [&](const Value* v) {
    return v && (!v->consumers.empty() || graph.is_graph_output(v));
  });
}

// A kernel flagged KILN_KERNEL_SHAPE_ONLY (Shape, Size) reads only its inputs' shapes: once those are fixed
// its outputs are constants, which is what lets exported Shape -> Gather -> Concat -> Reshape chains fold.
bool reads_only_known_shapes(const Node& node, const KernelEntry& kernel) {
  if (!has_kernel_flag(kernel, KILN_KERNEL_SHAPE_ONLY)) return false;
  return std::all_of(node.inputs.begin(), node.inputs.end(),
                     [](const Value* v) { return !v || v->constant || (v->shape_known() && dtype_size(v->dtype) > 0); });
}

bool foldable(const Graph& graph, const Node& node, const KernelEntry& kernel) {
  return (all_inputs_constant(node) || reads_only_known_shapes(node, kernel)) &&
         !has_kernel_flag(kernel, KILN_KERNEL_NO_FOLD) && some_output_used(graph, node);
}

// The constant, or for a shape-only kernel a zero-filled stand-in of the input's shape (its data is never read).
Tensor folding_input(const Value* v) {
  if (!v) return Tensor{};
  if (v->constant) return *v->constant;
  Tensor stand_in(v->dtype, v->dims);
  std::fill_n(static_cast<uint8_t*>(stand_in.data()), stand_in.bytes(), uint8_t{0});
  return stand_in;
}

// Runs `node` on its constant inputs; its outputs become constants and it leaves the graph.
size_t fold(Graph& graph, Node* node, const KernelEntry& kernel) {
  std::vector<Tensor> inputs;
  for (const Value* v : node->inputs) inputs.push_back(folding_input(v));
  std::vector<Tensor> outputs = run_node_once(kernel, *node, inputs);
  // Dequantized weights keep their grid, so an INT8 kernel recovers the integers exactly (docs/quantization.md).
  const std::optional<Quantization> grid = is_dequantize_node(*node) ? qdq_parameters(*node) : std::nullopt;
  size_t constants = 0;
  for (size_t i = 0; i < node->outputs.size(); ++i) {
    Value* out = node->outputs[i];
    if (!out) continue;
    out->dtype = outputs[i].dtype();
    out->has_shape = true;
    out->dims = outputs[i].dims();
    out->symbols.assign(out->dims.size(), "");
    out->constant = std::move(outputs[i]);
    if (i == 0) out->quant = grid;
    ++constants;
  }
  graph.remove_node(node);
  return constants;
}

}  // namespace

ConstantFoldingResult fold_constants(Graph& graph, const PassContext& context) {
  ConstantFoldingResult result;
  // Topological order, so a chain of foldable nodes folds in one sweep: each sees its producers' constants.
  for (Node* node : graph.topological_order()) {
    const KernelEntry* kernel = select_and_refine(context.selector, *node);
    if (kernel && kernel->desc->device != KILN_DEVICE_CPU) kernel = context.host_selector.select(*node).chosen;
    if (!kernel || !foldable(graph, *node, *kernel)) continue;
    result.constants += fold(graph, node, *kernel);
    ++result.nodes;
  }
  return result;
}

Pass constant_folding_pass() {
  return {"constant folding", [](Graph& graph, const PassContext& context) {
            const ConstantFoldingResult r = fold_constants(graph, context);
            return std::to_string(r.nodes) + " nodes folded into " + std::to_string(r.constants) + " constants";
          }};
}

}  // namespace kiln
