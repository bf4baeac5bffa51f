#include "runtime/plan_import.hpp"

#include <cstring>
#include <filesystem>

#include "planfile/attribute_conversion.hpp"
#include "plugin/build_hooks.hpp"
#include "plugin/host_api.hpp"
#include "plugin/tuning_cache.hpp"
#include "runtime/device_copy.hpp"
#include "runtime/engine.hpp"
#include "runtime/run_node.hpp"
#include "util/error.hpp"
#include "util/semver.hpp"

namespace fs = std::filesystem;

namespace kiln {

namespace {

// The file recorded at build time when it is still there, else the same library name in the plugin search
// path (a plan copied to another machine).
std::string locate_library(const PlanPlugin& plugin) {
  if (fs::exists(plugin.library)) return plugin.library;
  std::string stem = fs::path(plugin.library).stem().string();
  if (stem.rfind("lib", 0) == 0) stem = stem.substr(3);
  PluginEntry entry;
  entry.spec = stem;
  return resolve_plugin(entry);
}

// Why `library` (the plan's pack, in another version) cannot run a plan built with `plugin`, or "" when it can:
// the plan's version lies in the range the library declares (ABI 1.4), from plan_compat_min to its own.
std::string version_refusal(const PlanPlugin& plugin, const PluginLibrary& library) {
  const std::string& built = plugin.version;
  const std::string& mine = library.version();
  if (built == mine) return "";
  const std::string& oldest = library.plan_compat_min();
  std::string why;
  if (oldest.empty()) {
    why = "which runs only plans built with " + mine + " (it declares no compatibility range)";
  } else {
    const std::optional<SemVer> x = parse_semver(built);
    const SemVer min = *parse_semver(oldest), y = *parse_semver(mine);  // checked when the library was loaded
    if (x && compare_semver(*x, min) >= 0 && compare_semver(*x, y) <= 0) return "";
    if (!x)
      why = "which runs plans from " + oldest + " on, and the plan's '" + built + "' is not a semantic version";
    else if (compare_semver(*x, y) > 0)
      why = "older than the plan's " + built + " (it runs plans from " + oldest + " to " + mine + ")";
    else
      why = "which runs plans from " + oldest + " on (its serialized state changed in " + oldest + ")";
  }
  return "the plan was built with " + plugin.name + " " + built + "; the loaded library " + library.path() +
         " is version " + mine + ", " + why + ": rebuild the plan with this plugin or install version " + built;
}

const PluginLibrary& load_plan_plugin(const PlanPlugin& plugin, PluginRegistry& registry, const std::string& source) {
  const std::string needed = plugin.name + " " + plugin.version + " (built with " + plugin.library + ")";
  std::string path;
  try {
    path = locate_library(plugin);
  } catch (const Error& e) {
    throw Error(source + ": the plan needs plugin " + needed + ", which is missing: " + e.what());
  }
  const PluginLibrary& library = registry.load(path);
  if (library.name() != plugin.name)
    throw Error(source + ": the plan needs plugin " + needed + ", but " + path + " is " + library.name() + " " +
                library.version() + "; rebuild the plan with this plugin, or install the one it was built with");
  if (const std::string refusal = version_refusal(plugin, library); !refusal.empty())
    throw Error(source + ": " + refusal);
  return library;
}

Tensor tensor_from(const PlanTensor& t) {
  Tensor out(t.dtype, t.dims);
  if (!t.data.empty()) std::memcpy(out.data(), t.data.data(), t.data.size());
  return out;
}

class Importer {
 public:
  Importer(const PlanContents& contents, PluginRegistry& registry, const std::string& source)
      : contents_(contents), registry_(registry), source_(source) {}

  EnginePlan run() {
    std::vector<const PluginLibrary*> libraries;
    for (const PlanPlugin& p : contents_.plugins) libraries.push_back(&load_plan_plugin(p, registry_, source_));
    EnginePlan plan;
    plan.graph = std::make_unique<Graph>();
    add_values(plan);
    // Kernels prepared again (no serialized state) find what they timed at build time in the plan.
    TuningCache cache;
    for (const auto& [key, value] : contents_.tuning) cache.put(key, value);
    BuildHooks hooks;
    hooks.cache = &cache;
    const ScopedBuildHooks active(hooks);
    plan.tuning = contents_.tuning;
    try {
      for (const PlanNode& n : contents_.nodes) plan.layers.push_back(make_layer(plan, n, libraries));
    } catch (...) {
      destroy_states(plan.layers);
      throw;
    }
    plan.arena_bytes = contents_.memory.arena_bytes;
    plan.device_arena_bytes = contents_.memory.device_arena_bytes;
    plan.naive_bytes = contents_.memory.naive_bytes;
    plan.device_api = device_api(plan);
    plan.schedule = schedule();
    for (const PlanProfileInput& p : contents_.profile)
      plan.profile[contents_.values[static_cast<size_t>(p.value)].name] = ShapeRange{p.min, p.opt, p.max, {}};
    return plan;
  }

 private:
  void add_values(EnginePlan& plan) {
    Graph& g = *plan.graph;
    for (const PlanValue& pv : contents_.values) {
      Value* v = g.add_value(pv.name);
      v->dtype = pv.dtype;
      v->has_shape = pv.has_shape;
      v->dims = pv.dims;
      v->symbols = pv.symbols;
      if (pv.constant >= 0) v->constant = tensor_from(contents_.weights[static_cast<size_t>(pv.constant)]);
      v->is_graph_input = pv.is_graph_input;
      v->is_graph_output = pv.is_graph_output;
      v->layout = pv.layout;
      v->device = pv.device;
      v->quant = pv.quant;
      if (v->is_graph_input) g.inputs().push_back(v);
      if (v->is_graph_output) g.outputs().push_back(v);
      values_.push_back(v);
      ValueSlot slot;
      slot.home = v->constant ? ValueHome::Constant : v->is_graph_input ? ValueHome::Caller : ValueHome::Heap;
      if (pv.placement == PlanPlacement::kArena)
        slot = ValueSlot{ValueHome::Arena, pv.arena_offset, pv.bytes, -1, {}, pv.device};
      plan.slots.push_back(slot);
    }
    // Views last: the value a view is a slice of may come later in the list.
    for (size_t i = 0; i < contents_.values.size(); ++i) {
      const PlanValue& pv = contents_.values[i];
      if (pv.placement != PlanPlacement::kView) continue;
      const size_t target = static_cast<size_t>(pv.view.view_of);
      plan.slots[i] = ValueSlot{ValueHome::View, plan.slots[target].offset + pv.view.byte_offset, pv.bytes,
                                pv.view.view_of, pv.view.strides, pv.device};
    }
  }

  // The device the plan's device values live on, from the loaded plugins.
  const kiln_device_api* device_api(const EnginePlan& plan) const {
    for (const auto& v : plan.graph->values())
      if (v->device != KILN_DEVICE_CPU) {
        const kiln_device_api* api = registry_.device_api(v->device);
        if (!api)
          throw Error(source_ + ": value '" + v->name + "' lives on a device, but none of the plan's plugins (" +
                      registry_.describe_libraries() + ") brings that device");
        return api;
      }
    return nullptr;
  }

  Value* value(int32_t index) const { return index < 0 ? nullptr : values_[static_cast<size_t>(index)]; }

  std::unique_ptr<Node> make_node(const PlanOp& op) const {
    auto node = std::make_unique<Node>();
    node->name = op.name;
    node->op_type = op.op_type;
    node->domain = op.domain;
    node->opset = op.opset;
    for (int32_t i : op.inputs) node->inputs.push_back(value(i));
    for (int32_t i : op.outputs) node->outputs.push_back(value(i));
    for (const auto& [name, a] : op.attributes) node->attributes[name] = convert_attribute<Attribute>(a, tensor_from);
    for (const PlanOp& step : op.pattern) node->pattern.push_back(make_node(step));
    return node;
  }

  Layer make_layer(EnginePlan& plan, const PlanNode& n, const std::vector<const PluginLibrary*>& libraries) {
    Layer layer;
    layer.node = plan.graph->add_node(make_node(n.op));
    layer.notes = n.notes;
    if (n.plugin < 0) {  // the core's own layers
      layer.selection.chosen = find_copy_kernel(n.kernel);
      if (!layer.selection.chosen || !is_copy_node(*layer.node))
        throw Error(source_ + ": " + layer.node->label() + " names kernel " + n.kernel + " without a plugin, " +
                    "and it is not one of the core's own (kiln.core.CopyToDevice, kiln.core.CopyToHost)");
      layer.state = restore_state(*layer.selection.chosen, *layer.node, n.state);
      return layer;
    }
    const KernelEntry* kernel = registry_.find(n.kernel);
    const PluginLibrary& library = *libraries[static_cast<size_t>(n.plugin)];
    if (!kernel || kernel->library != &library)
      throw Error(source_ + ": " + layer.node->label() + " needs kernel " + n.kernel + ", which plugin " +
                  library.name() + " " + library.version() + " (" + library.path() + ") does not offer");
    layer.selection.chosen = kernel;
    layer.state = restore_state(*kernel, *layer.node, n.state);
    return layer;
  }

  void* restore_state(const KernelEntry& kernel, const Node& node, const std::vector<uint8_t>& bytes) const {
    const kiln_kernel_desc& k = *kernel.desc;
    void* state = nullptr;
    kiln_status status;
    if (!bytes.empty() && k.deserialize)
      status = k.deserialize(k.user_data, host_api(), to_handle(&node), bytes.data(), bytes.size(), &state);
    else
      status = k.create(k.user_data, host_api(), to_handle(&node), &state);
    if (status != KILN_OK)
      throw Error(source_ + ": " + node.label() + ": " + kernel_label(kernel) + " could not restore its state: " +
                  take_plugin_error());
    return state;
  }

  Schedule schedule() const {
    Schedule s;
    s.num_streams = static_cast<int>(contents_.schedule.num_streams);
    s.stream_layers.resize(static_cast<size_t>(s.num_streams));
    for (size_t i = 0; i < contents_.nodes.size(); ++i) {
      const int stream = static_cast<int>(contents_.nodes[i].stream);
      s.stream_of.push_back(stream);
      s.stream_layers[static_cast<size_t>(stream)].push_back(static_cast<int>(i));
    }
    for (const PlanWait& w : contents_.schedule.waits)
      s.waits.push_back(StreamWait{static_cast<int>(w.layer), static_cast<int>(w.waits_for)});
    return s;
  }

  const PlanContents& contents_;
  PluginRegistry& registry_;
  std::string source_;
  std::vector<Value*> values_;  // by plan value index
};

}  // namespace

EnginePlan import_plan(const PlanContents& contents, PluginRegistry& registry, const std::string& source) {
  return Importer(contents, registry, source).run();
}

}  // namespace kiln
