#include "builder/plan_export.hpp"

#include <cstring>
#include <unordered_map>

#include "planfile/attribute_conversion.hpp"
#include "plugin/host_api.hpp"
#include "runtime/run_node.hpp"
#include "util/error.hpp"
#include "util/version.hpp"

namespace kiln {

namespace {

PlanTensor plan_tensor(const Tensor& t) {
  PlanTensor out;
  out.dtype = t.dtype();
  out.dims = t.dims();
  out.data.resize(t.bytes());
  if (t.bytes()) std::memcpy(out.data.data(), t.data(), t.bytes());
  return out;
}

class Exporter {
 public:
  explicit Exporter(const EnginePlan& plan) : plan_(plan) {
    const auto& values = plan.graph->values();
    for (size_t i = 0; i < values.size(); ++i) index_[values[i].get()] = static_cast<int32_t>(i);
  }

  PlanContents run(const std::map<std::string, std::string>& build_info) {
    PlanContents out;
    out.kiln_version = version();
    out.build_info = build_info;
    add_values(out);
    for (size_t i = 0; i < plan_.layers.size(); ++i) out.nodes.push_back(plan_node(out, i));
    out.schedule.num_streams = static_cast<uint32_t>(std::max(1, plan_.schedule.num_streams));
    for (const StreamWait& w : plan_.schedule.waits)
      out.schedule.waits.push_back(PlanWait{static_cast<uint32_t>(w.layer), static_cast<uint32_t>(w.waits_for)});
    out.memory.arena_bytes = plan_.arena_bytes;
    out.memory.naive_bytes = plan_.naive_bytes;
    out.memory.device_arena_bytes = plan_.device_arena_bytes;
    out.tuning = plan_.tuning;
    add_profile(out);
    return out;
  }

 private:
  int32_t index_of(const Value* v) const {
    if (!v) return -1;
    auto it = index_.find(v);
    return it == index_.end() ? -1 : it->second;  // a value internal to a fusion is gone from the graph
  }

  void add_values(PlanContents& out) const {
    const auto& values = plan_.graph->values();
    for (size_t i = 0; i < values.size(); ++i) {
      const Value& v = *values[i];
      PlanValue pv;
      pv.name = v.name;
      pv.dtype = v.dtype;
      pv.has_shape = v.has_shape;
      if (v.has_shape) {
        pv.dims = v.dims;
        pv.symbols = v.symbols;
        pv.symbols.resize(v.dims.size());
      }
      pv.is_graph_input = v.is_graph_input;
      pv.is_graph_output = v.is_graph_output;
      pv.layout = v.layout;
      pv.device = v.device;
      pv.quant = v.quant;
      if (v.constant) {
        pv.constant = static_cast<int32_t>(out.weights.size());
        out.weights.push_back(plan_tensor(*v.constant));
      }
      const ValueSlot& slot = plan_.slots[i];
      if (slot.home == ValueHome::Arena) {
        pv.placement = PlanPlacement::kArena;
        pv.arena_offset = slot.offset;
        pv.bytes = slot.bytes;
      } else if (slot.home == ValueHome::View) {
        pv.placement = PlanPlacement::kView;
        pv.bytes = slot.bytes;
        pv.view.view_of = slot.view_of;
        pv.view.byte_offset = slot.offset - plan_.slots[static_cast<size_t>(slot.view_of)].offset;
        pv.view.strides = slot.strides;
      }
      out.values.push_back(std::move(pv));
    }
  }

  PlanOp plan_op(const Node& node) const {
    PlanOp op;
    op.name = node.name;
    op.op_type = node.op_type;
    op.domain = node.domain;
    op.opset = node.opset;
    for (const Value* v : node.inputs) op.inputs.push_back(index_of(v));
    for (const Value* v : node.outputs) op.outputs.push_back(index_of(v));
    for (const auto& [name, attribute] : node.attributes)
      op.attributes[name] = convert_attribute<PlanAttribute>(attribute, plan_tensor);
    for (const auto& step : node.pattern) op.pattern.push_back(plan_op(*step));
    return op;
  }

  int32_t plugin_index(PlanContents& out, const PluginLibrary& library) {
    auto it = plugin_index_.find(&library);
    if (it != plugin_index_.end()) return it->second;
    PlanPlugin p{library.name(), library.version(), library.abi_version(), library.path()};
    out.plugins.push_back(p);
    return plugin_index_[&library] = static_cast<int32_t>(out.plugins.size() - 1);
  }

  PlanNode plan_node(PlanContents& out, size_t index) {
    const Layer& layer = plan_.layers[index];
    const KernelEntry& kernel = *layer.selection.chosen;
    PlanNode node;
    node.op = plan_op(*layer.node);
    node.kernel = kernel.desc->name;
    node.plugin = kernel.library ? plugin_index(out, *kernel.library) : -1;  // -1: the core's own (copies)
    node.notes = layer.notes;
    node.state = serialized_state(kernel, layer);
    node.stream = static_cast<uint32_t>(plan_.schedule.stream_of[index]);
    return node;
  }

  // The kernel's prepared state, or nothing when it cannot serialize (the loader then prepares it again).
  static std::vector<uint8_t> serialized_state(const KernelEntry& kernel, const Layer& layer) {
    const kiln_kernel_desc& k = *kernel.desc;
    if (!k.serialize) return {};
    size_t size = 0;
    if (k.serialize(layer.state, nullptr, 0, &size) != KILN_OK)
      throw Error(layer.node->label() + ": " + kernel_label(kernel) + " could not size its state: " + take_plugin_error());
    std::vector<uint8_t> bytes(size);
    size_t written = 0;
    if (k.serialize(layer.state, bytes.data(), bytes.size(), &written) != KILN_OK || written > size)
      throw Error(layer.node->label() + ": " + kernel_label(kernel) + " could not serialize its state: " +
                  take_plugin_error());
    bytes.resize(written);
    return bytes;
  }

  void add_profile(PlanContents& out) const {
    for (const auto& [name, range] : plan_.profile) {
      const Value* v = plan_.graph->find_value(name);
      out.profile.push_back(PlanProfileInput{index_of(v), range.min, range.opt, range.max});
    }
  }

  const EnginePlan& plan_;
  std::unordered_map<const Value*, int32_t> index_;
  std::unordered_map<const PluginLibrary*, int32_t> plugin_index_;
};

}  // namespace

PlanContents export_plan(const EnginePlan& plan, const std::map<std::string, std::string>& build_info) {
  return Exporter(plan).run(build_info);
}

}  // namespace kiln
