#include "builder/value_bounds.hpp"

#include <unordered_map>

#include "plugin/host_api.hpp"
#include "runtime/shape_inference.hpp"
#include "util/error.hpp"

namespace kiln {

namespace {

using DimsByValue = std::unordered_map<const Value*, std::vector<int64_t>>;

bool fully_known(const std::vector<int64_t>& dims) {
  for (int64_t d : dims)
    if (d < 0) return false;
  return true;
}

// What the kernel's shape function sees: the value's dtype and data as the graph has them, the largest dims.
kiln_value_info info_at_largest(const Value* v, const DimsByValue& dims) {
  kiln_value_info info = describe_value(v);
  if (!v) return info;
  auto it = dims.find(v);
  if (it != dims.end()) {
    info.rank = static_cast<int32_t>(it->second.size());
    info.dims = it->second.data();
  } else if (!v->shape_known()) {
    info.rank = -1;  // the graph's partial dims would describe a smaller shape than the largest
  }
  return info;
}

void bound_layer_outputs(const Layer& layer, DimsByValue& dims) {
  const Node& node = *layer.node;
  const KernelEntry& kernel = *layer.selection.chosen;
  InferredOutputs inferred;
  const bool has_infer = kernel.desc->infer || kernel.infer_from;
  if (has_infer) {
    std::vector<kiln_value_info> inputs;
    for (const Value* v : node.inputs) inputs.push_back(info_at_largest(v, dims));
    try {
      inferred = infer_outputs(kernel, node, std::move(inputs));
    } catch (const Error&) {  // a shape that needs data: settled at run time, on the heap
    }
  }
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    const Value* out = node.outputs[i];
    if (!out) continue;
    if (i < inferred.size() && inferred[i].set && inferred[i].has_rank && fully_known(inferred[i].dims))
      dims[out] = inferred[i].dims;
    else if (!has_infer && out->shape_known())
      dims[out] = out->dims;
  }
}

}  // namespace

std::vector<std::optional<size_t>> value_byte_bounds(const Graph& graph, const std::vector<Layer>& layers,
                                                     const std::map<std::string, std::vector<int64_t>>& largest_inputs) {
  DimsByValue dims;
  for (const auto& v : graph.values())
    if (v->constant) dims[v.get()] = v->constant->dims();
  for (const Value* v : graph.inputs()) {
    auto it = largest_inputs.find(v->name);
    if (it != largest_inputs.end() && !it->second.empty()) dims[v] = it->second;
  }
  for (const Layer& layer : layers) bound_layer_outputs(layer, dims);

  std::vector<std::optional<size_t>> bounds;
  for (const auto& v : graph.values()) {
    auto it = dims.find(v.get());
    const size_t element = dtype_size(v->dtype);
    if (it == dims.end() || element == 0) {
      bounds.emplace_back();
      continue;
    }
    size_t n = element;
    for (int64_t d : it->second) n *= static_cast<size_t>(d);
    bounds.emplace_back(n);
  }
  return bounds;
}

}  // namespace kiln
