#include "planfile/plan_validate.hpp"

#include <set>
#include <vector>

#include "util/error.hpp"

namespace kiln {
namespace planfile {

namespace {

class Validator {
 public:
  Validator(const PlanContents& plan, const std::string& source) : plan_(plan), source_(source) {}

  void run() {
    check_values();
    check_view_cycles();
    for (size_t i = 0; i < plan_.nodes.size(); ++i) check_node(i);
    check_schedule();
    check_profile();
  }

 private:
  [[noreturn]] void fail(const std::string& where, const std::string& message) const {
    throw Error(source_ + ": " + where + ": " + message);
  }

  static std::string label(const std::string& kind, size_t index, const std::string& name) {
    return kind + " " + std::to_string(index) + " ('" + name + "')";
  }

  // An index into a list of `size` items; -1 too where `allow_none`.
  void check_index(const std::string& where, int64_t index, size_t size, const char* items, bool allow_none) const {
    if (allow_none && index == -1) return;
    if (index < 0 || static_cast<uint64_t>(index) >= size) {
      fail(where, std::string(items) + " index " + std::to_string(index) + " is out of range (the plan has " +
                      std::to_string(size) + " " + items + "s)");
    }
  }

  void check_values() {
    std::set<std::string> names;
    for (size_t i = 0; i < plan_.values.size(); ++i) {
      const PlanValue& v = plan_.values[i];
      const std::string where = label("value", i, v.name);
      if (!names.insert(v.name).second) fail(where, "another value has the same name");
      check_index(where + " constant", v.constant, plan_.weights.size(), "weight", true);
      if (v.constant >= 0) check_constant(where, v, plan_.weights[static_cast<size_t>(v.constant)]);
      check_placement(where, v);
    }
  }

  void check_constant(const std::string& where, const PlanValue& v, const PlanTensor& weight) const {
    if (weight.dtype != v.dtype) {
      fail(where, "is " + dtype_name(v.dtype) + " but its constant is " + dtype_name(weight.dtype));
    }
    if (v.has_shape && weight.dims != v.dims) fail(where, "its constant's dims differ from the value's");
  }

  void check_placement(const std::string& where, const PlanValue& v) const {
    // The caller's buffers and the weights are never the plan's to place. (Other values may be external too:
    // those whose size the builder could not bound are allocated when produced.)
    if ((v.is_graph_input || v.is_graph_output || v.constant >= 0) && v.placement != PlanPlacement::kExternal) {
      fail(where, "a graph input, output or constant must be placed external");
    }
    if (v.placement != PlanPlacement::kArena && v.arena_offset != 0) {
      fail(where, "has an arena offset but is not placed in the arena");
    }
    if (v.placement == PlanPlacement::kArena) {
      if (v.arena_offset % plan_.memory.alignment != 0) {
        fail(where, "arena offset " + std::to_string(v.arena_offset) + " is not a multiple of the alignment " +
                        std::to_string(plan_.memory.alignment));
      }
      const uint64_t arena = v.device == KILN_DEVICE_CPU ? plan_.memory.arena_bytes : plan_.memory.device_arena_bytes;
      if (v.arena_offset > arena || v.bytes > arena - v.arena_offset) {
        fail(where, "arena range [" + std::to_string(v.arena_offset) + ", +" + std::to_string(v.bytes) + ") exceeds the " +
                        (v.device == KILN_DEVICE_CPU ? "host" : "device") + " arena (" + std::to_string(arena) + " bytes)");
      }
    }
    if (v.placement == PlanPlacement::kView) check_view(where, v);
  }

  void check_view(const std::string& where, const PlanValue& v) const {
    check_index(where + " view_of", v.view.view_of, plan_.values.size(), "value", false);
    if (v.view.strides.size() != v.dims.size()) {
      fail(where,
           std::to_string(v.view.strides.size()) + " view strides for " + std::to_string(v.dims.size()) + " dims");
    }
    const PlanValue& target = plan_.values[static_cast<size_t>(v.view.view_of)];
    if (target.device != v.device) fail(where, "is a view of '" + target.name + "', which lives on another device");
    // External memory's size is the caller's business; arena and view values say theirs.
    if (target.placement != PlanPlacement::kExternal &&
        (v.view.byte_offset > target.bytes || v.bytes > target.bytes - v.view.byte_offset)) {
      fail(where, "view range [" + std::to_string(v.view.byte_offset) + ", +" + std::to_string(v.bytes) +
                      ") exceeds '" + target.name + "' (" + std::to_string(target.bytes) + " bytes)");
    }
  }

  // A chain of views must end at real memory. Each chain is walked once: values already known to end well are
  // not walked again, so hostile plans of long chains stay linear.
  void check_view_cycles() const {
    enum State : uint8_t { kUnseen, kOnPath, kEnds };
    std::vector<State> state(plan_.values.size(), kUnseen);
    std::vector<size_t> path;
    for (size_t start = 0; start < plan_.values.size(); ++start) {
      path.clear();
      size_t at = start;
      while (state[at] == kUnseen && plan_.values[at].placement == PlanPlacement::kView) {
        state[at] = kOnPath;
        path.push_back(at);
        at = static_cast<size_t>(plan_.values[at].view.view_of);
      }
      if (state[at] == kOnPath) fail(label("value", at, plan_.values[at].name), "its views form a cycle");
      for (size_t v : path) state[v] = kEnds;
      state[at] = kEnds;
    }
  }

  void check_value_refs(const std::string& where, const std::vector<int32_t>& refs, const char* field) const {
    for (size_t k = 0; k < refs.size(); ++k) {
      check_index(where + " " + field + " " + std::to_string(k), refs[k], plan_.values.size(), "value", true);
    }
  }

  void check_op(const std::string& where, const PlanOp& op) const {
    check_value_refs(where, op.inputs, "input");
    check_value_refs(where, op.outputs, "output");
    for (size_t k = 0; k < op.pattern.size(); ++k) {
      check_op(where + " " + label("pattern step", k, op.pattern[k].name), op.pattern[k]);
    }
  }

  void check_node(size_t i) const {
    const PlanNode& node = plan_.nodes[i];
    const std::string where = label("node", i, node.op.name);
    check_op(where, node.op);
    // The core's own layers (device copies) name no plugin.
    check_index(where + " plugin", node.plugin, plan_.plugins.size(), "plugin", node.op.domain == "kiln");
    if (node.stream >= plan_.schedule.num_streams) {
      fail(where, "stream " + std::to_string(node.stream) + " is out of range (the plan has " +
                      std::to_string(plan_.schedule.num_streams) + " streams)");
    }
  }

  void check_schedule() const {
    if (plan_.schedule.num_streams == 0) fail("schedule", "num_streams is 0");
    for (size_t k = 0; k < plan_.schedule.waits.size(); ++k) {
      const PlanWait& wait = plan_.schedule.waits[k];
      const std::string where = "schedule wait " + std::to_string(k);
      check_index(where + " layer", wait.layer, plan_.nodes.size(), "node", false);
      if (wait.waits_for >= wait.layer) {
        fail(where, "node " + std::to_string(wait.layer) + " waits for node " + std::to_string(wait.waits_for) +
                        ", which does not run before it");
      }
    }
  }

  void check_profile() const {
    std::set<int32_t> seen;
    for (size_t k = 0; k < plan_.profile.size(); ++k) {
      const PlanProfileInput& input = plan_.profile[k];
      const std::string where = "profile input " + std::to_string(k);
      check_index(where + " value", input.value, plan_.values.size(), "value", false);
      const PlanValue& v = plan_.values[static_cast<size_t>(input.value)];
      if (!v.is_graph_input) fail(where, "'" + v.name + "' is not a graph input");
      if (!seen.insert(input.value).second) fail(where, "'" + v.name + "' has a second profile");
      if (input.min.size() != v.dims.size() || input.opt.size() != v.dims.size() || input.max.size() != v.dims.size()) {
        fail(where,
             "min/opt/max must each have one dim per dim of '" + v.name + "' (" + std::to_string(v.dims.size()) + ")");
      }
      for (size_t d = 0; d < v.dims.size(); ++d) {
        if (input.min[d] < 0 || input.min[d] > input.opt[d] || input.opt[d] > input.max[d]) {
          fail(where, "dim " + std::to_string(d) + " needs 0 <= min <= opt <= max, got " +
                          std::to_string(input.min[d]) + ", " + std::to_string(input.opt[d]) + ", " +
                          std::to_string(input.max[d]));
        }
      }
    }
  }

  const PlanContents& plan_;
  const std::string& source_;
};

}  // namespace

void validate_plan(const PlanContents& plan, const std::string& source) { Validator(plan, source).run(); }

}  // namespace planfile
}  // namespace kiln
