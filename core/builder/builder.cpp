#include "builder/builder.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <unordered_map>

#include "builder/calibration.hpp"
#include "builder/concat_elimination.hpp"
#include "builder/device_placement.hpp"
#include "builder/kernel_timing.hpp"
#include "builder/layout_assignment.hpp"
#include "builder/int8_assignment.hpp"
#include "builder/precision_assignment.hpp"
#include "builder/qdq_folding.hpp"
#include "builder/input_profile.hpp"
#include "builder/value_bounds.hpp"
#include "memory/memory_planner.hpp"
#include "passes/pass_manager.hpp"
#include "plugin/build_hooks.hpp"
#include "plugin/host_api.hpp"
#include "plugin/tuning_cache.hpp"
#include "plugin/kernel_flags.hpp"
#include "runtime/device_copy.hpp"
#include "runtime/engine.hpp"
#include "runtime/run_node.hpp"
#include "runtime/shape_inference.hpp"
#include "schedule/happens_before.hpp"
#include "schedule/stream_scheduler.hpp"
#include "util/byte_size.hpp"
#include "util/error.hpp"

namespace kiln {

namespace {

void* create_state(const KernelEntry& kernel, const Node& node) {
  void* state = nullptr;
  const kiln_kernel_desc& k = *kernel.desc;
  if (k.create(k.user_data, host_api(), to_handle(&node), &state) != KILN_OK)
    throw Error(node.label() + ": " + kernel_label(kernel) + " could not prepare it: " + take_plugin_error());
  return state;
}

// The kernel for `node`: the core's own for a device copy, the timed winner where kernels were timed, else the
// selector's choice.
Selection select_kernel(const KernelSelector& selector, const Node& node, const std::map<const Node*, const KernelEntry*>& timed) {
  if (is_copy_node(node)) {
    Selection selection;
    selection.chosen = &copy_kernel(node);
    return selection;
  }
  Selection selection = selector.select(node);
  auto winner = timed.find(&node);
  if (winner != timed.end() && selection.chosen != winner->second) {
    selection.declined.push_back({selection.chosen->desc->name, std::string("slower than ") + winner->second->desc->name + " when timed"});
    selection.chosen = winner->second;
  }
  return selection;
}

// The order the layers run in: topological, except that a device plan's copies of graph inputs come first and
// its copies to graph outputs last, since the engine runs them before and after the body (outside a captured
// graph). The schedule and the memory plan follow this order, so a value the engine copies out at the end
// keeps its bytes until then.
std::vector<Node*> execution_order(const Graph& graph) {
  std::vector<Node*> order = graph.topological_order();
  std::stable_partition(order.begin(), order.end(), [](const Node* n) { return is_boundary_copy_in(*n); });
  std::stable_partition(order.begin(), order.end(), [](const Node* n) { return !is_boundary_copy_out(*n); });
  return order;
}

// One layer per node in execution order, each with its kernel chosen, its output shapes refined by that
// kernel and its state prepared. Kernels may consult the timing cache and leave notes while they are created.
std::vector<Layer> select_and_prepare(Graph& graph, const KernelSelector& selector, BuildHooks& hooks,
                                      const std::map<const Node*, const KernelEntry*>& timed) {
  std::vector<Layer> layers;
  const ScopedBuildHooks active(hooks);
  try {
    for (Node* node : execution_order(graph)) {
      Layer layer;
      layer.node = node;
      layer.selection = select_kernel(selector, *node, timed);
      if (!layer.selection.chosen) selector.fail(*node, layer.selection);
      propagate_shapes(*layer.selection.chosen, *node);
      layers.push_back(std::move(layer));
      // Prepared after it is in the list, so that a failure leaves every earlier state to the cleanup below.
      layers.back().state = create_state(*layers.back().selection.chosen, *node);
      if (auto notes = hooks.notes.find(node); notes != hooks.notes.end()) layers.back().notes = notes->second;
    }
  } catch (...) {
    destroy_states(layers);
    throw;
  }
  return layers;
}

// deps[i]: the layers whose outputs layer i reads.
std::vector<std::vector<int>> layer_dependencies(const std::vector<Layer>& layers) {
  std::unordered_map<const Node*, int> index;
  for (size_t i = 0; i < layers.size(); ++i) index[layers[i].node] = static_cast<int>(i);
  std::vector<std::vector<int>> deps(layers.size());
  for (size_t i = 0; i < layers.size(); ++i)
    for (const Value* v : layers[i].node->inputs) {
      if (!v || !v->producer) continue;
      const int producer = index.at(v->producer);
      if (std::find(deps[i].begin(), deps[i].end(), producer) == deps[i].end()) deps[i].push_back(producer);
    }
  return deps;
}

ValueHome home_of(const Value& v) {
  if (v.constant) return ValueHome::Constant;
  if (v.is_graph_input) return ValueHome::Caller;
  return ValueHome::Heap;  // graph outputs stay here; planned intermediates move to the arena
}

// A layer whose kernel declares KILN_KERNEL_INPLACE_0 may write output 0 over input 0 when both are stored in
// one layout; the planner grants it where input 0 has no later reader in any execution of the schedule.
void request_in_place(const EnginePlan& plan, std::vector<BufferUse>& buffers, const std::vector<size_t>& buffer_value) {
  std::unordered_map<const Value*, int> buffer_of;
  for (size_t b = 0; b < buffers.size(); ++b) buffer_of[plan.graph->values()[buffer_value[b]].get()] = static_cast<int>(b);
  for (size_t b = 0; b < buffers.size(); ++b) {
    const Layer& producer = plan.layers[static_cast<size_t>(buffers[b].producer)];
    const Node& node = *producer.node;
    if (!has_kernel_flag(*producer.selection.chosen, KILN_KERNEL_INPLACE_0) || node.inputs.empty()) continue;
    if (node.outputs.empty() || node.outputs[0] != plan.graph->values()[buffer_value[b]].get()) continue;
    // NHWC in and linear out (or the reverse) would overwrite input elements not read yet.
    if (node.inputs[0] && node.inputs[0]->layout != node.outputs[0]->layout) continue;
    auto input = buffer_of.find(node.inputs[0]);
    if (input != buffer_of.end() && buffers[static_cast<size_t>(input->second)].bytes >= buffers[b].bytes)
      buffers[b].inplace_of = input->second;
  }
}

// Places the buffers of values that live on `device` in that device's arena.
void place_in_arena(EnginePlan& plan, const std::vector<BufferUse>& all, const std::vector<size_t>& buffer_value,
                    const HappensBefore& order, kiln_device device) {
  std::vector<BufferUse> buffers;
  std::vector<size_t> index;  // position in `all`
  std::vector<int> renumbered(all.size(), -1);
  const auto& values = plan.graph->values();
  for (size_t b = 0; b < all.size(); ++b)
    if (values[buffer_value[b]]->device == device) {
      renumbered[b] = static_cast<int>(buffers.size());
      buffers.push_back(all[b]);
      index.push_back(b);
    }
  if (buffers.empty()) return;
  for (BufferUse& use : buffers)
    if (use.inplace_of >= 0) use.inplace_of = renumbered[static_cast<size_t>(use.inplace_of)];  // -1 across devices
  // Device kernels load 16-byte vectors and libraries like cuDNN want 128-byte tiles: device offsets keep the
  // 256-byte alignment the device's own allocations have.
  const MemoryPlan memory = plan_memory(buffers, order, device == KILN_DEVICE_CPU ? 64 : 256);
  for (size_t b = 0; b < buffers.size(); ++b) {
    ValueSlot& slot = plan.slots[buffer_value[index[b]]];
    slot.home = ValueHome::Arena;
    slot.device = device;
    slot.offset = memory.offsets[b];
    slot.bytes = buffers[b].bytes;
  }
  (device == KILN_DEVICE_CPU ? plan.arena_bytes : plan.device_arena_bytes) = memory.arena_bytes;
  plan.naive_bytes += memory.naive_bytes;
}

// Places every intermediate whose size is bounded in one arena per device, reusing bytes between values whose lifetimes
// never overlap under the schedule. The inputs of an eliminated concat are not buffers of their own: their
// producers write into the concat's output, whose bytes are in use from the first of them.
void plan_arena(EnginePlan& plan, const std::vector<std::vector<int>>& deps,
                const std::vector<std::optional<size_t>>& bounds, const std::vector<EliminatedConcat>& concats) {
  const auto& values = plan.graph->values();
  std::unordered_map<const Node*, int> layer_of;
  for (size_t i = 0; i < plan.layers.size(); ++i) layer_of[plan.layers[i].node] = static_cast<int>(i);
  std::unordered_map<size_t, const EliminatedConcat*> concat_of_output;
  std::unordered_map<size_t, const ConcatSlice*> slice_of_value;
  for (const EliminatedConcat& c : concats) {
    concat_of_output[c.output] = &c;
    for (const ConcatSlice& slice : c.slices) slice_of_value[slice.value] = &slice;
  }
  plan.slots.assign(values.size(), ValueSlot{});
  std::vector<BufferUse> buffers;
  std::vector<size_t> buffer_value;
  for (size_t i = 0; i < values.size(); ++i) {
    const Value& v = *values[i];
    plan.slots[i].home = home_of(v);
    if (plan.slots[i].home != ValueHome::Heap || v.is_graph_output || !v.producer || !bounds[i]) continue;
    if (slice_of_value.count(i)) continue;
    BufferUse use;
    use.bytes = *bounds[i];
    use.producer = layer_of.at(v.producer);
    for (const Node* consumer : v.consumers) use.consumers.push_back(layer_of.at(consumer));
    if (auto c = concat_of_output.find(i); c != concat_of_output.end())
      for (const ConcatSlice& slice : c->second->slices) use.co_producers.push_back(slice.producer);
    buffers.push_back(std::move(use));
    buffer_value.push_back(i);
  }
  request_in_place(plan, buffers, buffer_value);
  const HappensBefore order(deps, plan.schedule);
  plan.arena_bytes = 0;
  plan.device_arena_bytes = 0;
  plan.naive_bytes = 0;
  for (const kiln_device device : {KILN_DEVICE_CPU, KILN_DEVICE_CUDA})
    place_in_arena(plan, buffers, buffer_value, order, device);
  for (const EliminatedConcat& c : concats)
    for (const ConcatSlice& slice : c.slices) {
      ValueSlot& slot = plan.slots[slice.value];
      slot.home = ValueHome::View;
      slot.device = plan.slots[c.output].device;
      slot.view_of = static_cast<int>(c.output);
      slot.offset = plan.slots[c.output].offset + slice.byte_offset;
      slot.bytes = *bounds[slice.value];
      slot.strides = slice.strides;
    }
  for (const EliminatedConcat& c : concats)  // what the inputs' own buffers would have cost
    for (const ConcatSlice& slice : c.slices) plan.naive_bytes += (*bounds[slice.value] + 63) / 64 * 64;
}

void fill_report(const EnginePlan& plan, BuildReport& report) {
  report.layers_after = plan.layers.size();
  report.arena_bytes = plan.arena_bytes;
  report.device_arena_bytes = plan.device_arena_bytes;
  report.naive_bytes = plan.naive_bytes;
  report.streams = plan.schedule.num_streams;
  report.fusions.clear();
  for (const Layer& layer : plan.layers)
    if (!layer.node->pattern.empty()) ++report.fusions[layer.node->op_type];
  report.heap_values = 0;
  for (size_t i = 0; i < plan.slots.size(); ++i) {
    const Value& v = *plan.graph->values()[i];  // values left inside fused patterns have no producer
    if (plan.slots[i].home == ValueHome::Heap && v.producer && !v.is_graph_output) ++report.heap_values;
  }
}

// Reduced precision, channels-last storage and host/device copies: what running on a device adds to the graph
// once the passes are done. Each is a no-op for a CPU build.
void place_for_devices(Graph& graph, const KernelSelector& selector, const BuildConfig& config,
                       const CalibrationCache& calibration, BuildReport& r,
                       const std::function<void(const std::string&)>& say) {
  const QdqFoldingSummary qdq = fold_qdq(graph, selector);
  if (qdq.folded_nodes)
    say("quantize  " + std::to_string(qdq.folded_nodes) + " layer(s) read the model's quantized values directly, " +
        std::to_string(qdq.removed_qdq) + " Quantize/DequantizeLinear removed");
  r.int8_layers = qdq.folded_nodes;
  if (config.precision == "int8") {
    const Int8Summary int8 = assign_int8(graph, selector, config, calibration.scales);
    say("precision " + int8.describe());
    r.int8_layers += int8.int8_nodes;
  }
  const PrecisionSummary precision = assign_precision(graph, selector, config);
  if (precision.fp16_nodes || precision.casts) say("precision " + precision.describe());
  r.nhwc_values = assign_layouts(graph, selector);
  if (r.nhwc_values) say("layout    " + std::to_string(r.nhwc_values) + " value(s) stored channels-last (NHWC)");
  r.copies = place_on_devices(graph, selector);
  if (r.copies) say("devices   " + std::to_string(r.copies) + " host/device copy layer(s) inserted");
  r.fp16_layers = precision.fp16_nodes;
}

// The device API the plan's device layers need, from the loaded pack that brings it; nullptr for a CPU plan.
const kiln_device_api* device_for(const Graph& graph, const PluginRegistry& registry) {
  for (const auto& value : graph.values())
    if (value->device != KILN_DEVICE_CPU) {
      const kiln_device_api* api = registry.device_api(value->device);
      if (!api)
        throw Error("value '" + value->name + "' lives on a device, but no loaded plugin brings that device's API " +
                    "(plugins: " + registry.describe_libraries() + ")");
      return api;
    }
  return nullptr;
}

}  // namespace

EnginePlan build_engine_plan(std::unique_ptr<Graph> graph, const PluginRegistry& registry, const BuildConfig& config,
                             BuildReport* report, const BuildProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  BuildReport local;
  BuildReport& r = report ? *report : local;
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  r.nodes_before = graph->nodes().size();
  // The graph's input and output lists are the truth; the flags on values follow them (hand-built graphs).
  for (Value* v : graph->inputs()) v->is_graph_input = true;
  for (Value* v : graph->outputs()) v->is_graph_output = true;

  apply_input_profile(*graph, config.profile);
  // Calibration runs the model as imported, so every activation it scales still exists by its own name.
  const CalibrationCache calibration = config.precision == "int8" ? calibrate(*graph, registry, config, say) : CalibrationCache{};
  const KernelSelector selector(registry, config);
  const KernelSelector host_selector(registry, config, KILN_DEVICE_CPU);
  r.pass_summaries = run_default_passes(*graph, PassContext{registry, config, selector, host_selector});
  for (const std::string& line : r.pass_summaries) say("pass      " + line);

  place_for_devices(*graph, selector, config, calibration, r, say);

  EnginePlan plan;
  plan.profile = config.profile;
  plan.device_api = device_for(*graph, registry);
  TuningCache cache = config.tuning_cache.empty() ? TuningCache() : TuningCache(config.tuning_cache);
  BuildHooks hooks;
  hooks.cache = &cache;
  std::map<const Node*, const KernelEntry*> timed;
  if (config.time_kernels) {
    const ScopedBuildHooks active(hooks);
    timed = time_kernels(*graph, selector, registry, hooks);
    say("tuning    " + std::to_string(timed.size()) + " layer(s) chose between kernels by timing");
  }
  plan.layers = select_and_prepare(*graph, selector, hooks, timed);
  plan.graph = std::move(graph);
  plan.tuning = hooks.used;
  if (cache.hits() || cache.stores())
    say("tuning    timing cache " + (cache.path().empty() ? std::string("(in memory)") : cache.path()) + ": " +
        std::to_string(cache.hits()) + " hit(s), " + std::to_string(cache.stores()) + " new measurement(s)");
  try {
    cache.save();
  } catch (...) {
    destroy_states(plan.layers);
    throw;
  }
  try {
    say("kernels   " + std::to_string(plan.layers.size()) + " layers selected and prepared");
    const std::vector<std::vector<int>> deps = layer_dependencies(plan.layers);
    plan.schedule = schedule_streams(deps, config.streams);
    say("schedule  " + std::to_string(plan.schedule.num_streams) + " stream(s), " +
        std::to_string(plan.schedule.waits.size()) + " cross-stream wait(s)");
    const auto bounds = value_byte_bounds(*plan.graph, plan.layers, largest_input_shapes(*plan.graph, config.profile));
    std::vector<EliminatedConcat> concats;
    if (config.optimize.concat_elimination) concats = find_eliminable_concats(plan, bounds);
    if (!concats.empty()) say("concat    " + std::to_string(concats.size()) + " concat(s) eliminated: producers write into their slices");
    plan_arena(plan, deps, bounds, concats);
    r.concats_eliminated = concats.size();
  } catch (...) {
    destroy_states(plan.layers);
    throw;
  }
  fill_report(plan, r);
  say("memory    arena " + format_mib(plan.arena_bytes) +
      (plan.device_arena_bytes ? " host + " + format_mib(plan.device_arena_bytes) + " device" : "") +
      " for intermediates totalling " + format_mib(plan.naive_bytes) +
      (r.heap_values ? " (" + std::to_string(r.heap_values) + " data-dependent values on the heap)" : ""));
  r.build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return plan;
}

}  // namespace kiln
