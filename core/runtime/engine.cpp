#include "runtime/engine.hpp"

#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "plugin/host_api.hpp"
#include "runtime/shape_inference.hpp"
#include "util/error.hpp"

namespace kiln {

namespace {

std::string kernel_label(const KernelEntry& k) {
  return std::string("kernel ") + k.desc->name + " (" + k.library->name() + " " + k.library->version() + ")";
}

void* create_state(const KernelEntry& kernel, const Node& node) {
  void* state = nullptr;
  const kiln_kernel_desc& k = *kernel.desc;
  if (k.create(k.user_data, host_api(), to_handle(&node), &state) != KILN_OK) {
    const std::string message = node.label() + ": " + kernel_label(kernel) + " could not prepare it: " +
                                take_plugin_error();
    throw Error(message);
  }
  return state;
}

}  // namespace

Engine::Engine(std::unique_ptr<Graph> graph, const PluginRegistry& registry, const BuildConfig& config,
               EngineOptions options)
    : graph_(std::move(graph)), options_(options) {
  const KernelSelector selector(registry, config);
  try {
    for (Node* node : graph_->topological_order()) {
      Layer layer;
      layer.node = node;
      layer.selection = selector.select(*node);
      if (!layer.selection.chosen) selector.fail(*node, layer.selection);
      propagate_shapes(*layer.selection.chosen, *node);
      layers_.push_back(std::move(layer));
      // Prepared after selection so a failing node leaves earlier states to the destructor below.
      layers_.back().state = create_state(*layers_.back().selection.chosen, *node);
    }
  } catch (...) {
    for (Layer& l : layers_)
      if (l.state) l.selection.chosen->desc->destroy(l.state);
    throw;
  }
}

Engine::~Engine() {
  for (Layer& l : layers_)
    if (l.state) l.selection.chosen->desc->destroy(l.state);
}

void Engine::check_inputs(const std::map<std::string, Tensor>& inputs) const {
  for (const auto& [name, tensor] : inputs) {
    (void)tensor;
    bool known = false;
    for (const Value* v : graph_->inputs()) known = known || v->name == name;
    if (!known) {
      std::string names;
      for (const Value* v : graph_->inputs()) names += (names.empty() ? "" : ", ") + v->name;
      throw Error("input '" + name + "' is not an input of the model (its inputs: " + names + ")");
    }
  }
  for (const Value* v : graph_->inputs()) {
    auto it = inputs.find(v->name);
    if (it == inputs.end()) throw Error("missing input '" + v->name + "' (" + v->describe() + ")");
    const Tensor& t = it->second;
    bool fits = v->dtype == KILN_DTYPE_UNDEFINED || t.dtype() == v->dtype;
    if (v->has_shape) {
      fits = fits && static_cast<size_t>(t.rank()) == v->dims.size();
      for (size_t i = 0; fits && i < v->dims.size(); ++i) fits = v->dims[i] < 0 || v->dims[i] == t.dims()[i];
    }
    if (!fits)
      throw Error("input '" + v->name + "': the model expects " + v->describe() + ", got " + t.describe());
  }
}

std::map<std::string, Tensor> Engine::run(const std::map<std::string, Tensor>& inputs) const {
  check_inputs(inputs);
  const std::unordered_set<const Value*> graph_outputs(graph_->outputs().begin(), graph_->outputs().end());
  std::unordered_map<const Value*, Tensor> live;
  std::unordered_map<const Value*, size_t> uses_left;
  for (const auto& v : graph_->values()) {
    if (v->constant) live[v.get()] = *v->constant;
    uses_left[v.get()] = v->consumers.size();
  }
  for (const Value* v : graph_->inputs()) live[v] = inputs.at(v->name);

  for (const Layer& layer : layers_) {
    const Node& node = *layer.node;
    const KernelEntry& kernel = *layer.selection.chosen;
    std::vector<kiln_tensor> in_views;
    std::vector<kiln_value_info> in_infos;
    for (const Value* v : node.inputs) {
      kiln_tensor t{};
      t.struct_size = sizeof t;
      kiln_value_info info = describe_value(v);
      if (v) {
        auto it = live.find(v);
        if (it == live.end()) throw Error(node.label() + ": input '" + v->name + "' has no value at run time");
        t = it->second.view();
        info.dtype = t.dtype;
        info.rank = t.rank;
        info.dims = t.dims;
        info.data = t.data;
      }
      in_views.push_back(t);
      in_infos.push_back(info);
    }

    // Output shapes for these actual inputs.
    std::vector<Tensor> outs(node.outputs.size());
    const InferredOutputs inferred = kernel.desc->infer ? infer_outputs(kernel, node, in_infos) : InferredOutputs{};
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      const Value* out = node.outputs[i];
      if (!out) continue;
      DataType dtype = out->dtype;
      std::vector<int64_t> dims = out->dims;
      bool known = out->shape_known();
      if (!inferred.empty() && inferred[i].set) {
        dtype = inferred[i].dtype;
        dims = inferred[i].dims;
        known = inferred[i].has_rank;
        for (int64_t d : dims) known = known && d >= 0;
      }
      if (!known || dtype == KILN_DTYPE_UNDEFINED)
        throw Error(node.label() + ": the shape of output '" + out->name + "' is unknown at run time (" +
                    kernel_label(kernel) + " gave none)");
      outs[i] = Tensor(dtype, dims);
      if (options_.poison_outputs) std::memset(outs[i].data(), 0xFF, outs[i].bytes());
    }

    std::vector<kiln_tensor> out_views;
    for (const Tensor& t : outs) {
      kiln_tensor v = t.view();
      if (t.empty()) {
        v = kiln_tensor{};
        v.struct_size = sizeof v;
      }
      out_views.push_back(v);
    }
    kiln_exec_ctx ctx{};
    ctx.struct_size = sizeof ctx;
    ctx.num_inputs = static_cast<int32_t>(in_views.size());
    ctx.inputs = in_views.data();
    ctx.num_outputs = static_cast<int32_t>(out_views.size());
    ctx.outputs = out_views.data();

    std::vector<uint8_t> workspace;
    if (kernel.desc->workspace_size) {
      size_t bytes = 0;
      if (kernel.desc->workspace_size(layer.state, &ctx, &bytes) != KILN_OK)
        throw Error(node.label() + ": " + kernel_label(kernel) + " failed to size its workspace: " +
                    take_plugin_error());
      workspace.resize(bytes + 64);
      const uintptr_t base = reinterpret_cast<uintptr_t>(workspace.data());
      ctx.workspace = bytes ? workspace.data() + ((64 - base % 64) % 64) : nullptr;
      ctx.workspace_bytes = bytes;
    }
    const kiln_status status = kernel.desc->execute(layer.state, &ctx);
    if (status != KILN_OK) {
      const std::string message = node.label() + ": " + kernel_label(kernel) + " failed: " + take_plugin_error();
      if (status == KILN_ERROR_UNSUPPORTED) throw Unsupported(message);
      throw Error(message);
    }

    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (node.outputs[i]) live[node.outputs[i]] = std::move(outs[i]);
    // Release inputs no later node needs (graph outputs stay).
    for (const Value* v : node.inputs)
      if (v && --uses_left[v] == 0 && !graph_outputs.count(v) && !v->constant) live.erase(v);
  }

  std::map<std::string, Tensor> results;
  for (const Value* v : graph_->outputs()) {
    auto it = live.find(v);
    if (it == live.end()) throw Error("graph output '" + v->name + "' was never computed");
    results[v->name] = it->second;
  }
  return results;
}

}  // namespace kiln
