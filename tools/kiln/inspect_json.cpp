// `kiln inspect --format json`: one object with the plan's plugins, memory, schedule, layers and tensors.
#include <cstdio>

#include "inspect.hpp"
#include "ir/dtype.hpp"

namespace kiln::cli {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}

template <class T, class F>
std::string array(const std::vector<T>& items, F item) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + item(items[i]);
  return out + "]";
}

std::string number(int64_t n) { return std::to_string(n); }

std::string plugin_json(const PlanPlugin& p) {
  return "{\"name\":" + quoted(p.name) + ",\"version\":" + quoted(p.version) + ",\"abi\":" +
         quoted(std::to_string(p.abi_version >> 16) + "." + std::to_string(p.abi_version & 0xFFFFu)) +
         ",\"library\":" + quoted(p.library) + "}";
}

std::string value_json(const PlanValue& v) {
  std::string out = "{\"name\":" + quoted(v.name) + ",\"dtype\":" + quoted(dtype_name(v.dtype)) + ",\"shape\":" +
                    (v.has_shape ? array(v.dims, number) : "null");
  out += ",\"role\":" + quoted(v.is_graph_input ? "input" : v.is_graph_output ? "output" : v.constant >= 0 ? "weight" : "intermediate");
  if (v.placement == PlanPlacement::kArena)
    out += ",\"arena_offset\":" + std::to_string(v.arena_offset) + ",\"bytes\":" + std::to_string(v.bytes);
  else
    out += ",\"placement\":" + quoted(v.placement == PlanPlacement::kView ? "view" : "external");
  return out + "}";
}

std::string layer_json(const PlanContents& plan, const PlanNode& n) {
  const std::string plugin = n.plugin < 0 ? "kiln core" : plan.plugins[static_cast<size_t>(n.plugin)].name;
  const std::string version = n.plugin < 0 ? "" : plan.plugins[static_cast<size_t>(n.plugin)].version;
  auto value_name = [&](int32_t v) { return v < 0 ? std::string("null") : quoted(plan.values[static_cast<size_t>(v)].name); };
  return "{\"name\":" + quoted(n.op.name) + ",\"op\":" + quoted(n.op.op_type) + ",\"domain\":" + quoted(n.op.domain) +
         ",\"kernel\":" + quoted(n.kernel) + ",\"plugin\":" + quoted(plugin) + ",\"plugin_version\":" +
         quoted(version) + ",\"precision\":" + quoted(precision_of(plan, n)) + ",\"layout\":" +
         quoted(layout_of(plan, n)) + ",\"device\":" + quoted(device_of(plan, n)) +
         ",\"notes\":" + array(n.notes, [](const std::string& s) { return quoted(s); }) +
         ",\"stream\":" + std::to_string(n.stream) + ",\"fused\":" +
         array(n.op.pattern, [](const PlanOp& op) { return quoted(op.op_type + ":" + op.name); }) +
         ",\"inputs\":" + array(n.op.inputs, value_name) + ",\"outputs\":" + array(n.op.outputs, value_name) +
         ",\"state_bytes\":" + std::to_string(n.state.size()) + "}";
}

}  // namespace

std::string inspect_json(const PlanContents& plan, const std::string& path) {
  std::string out = "{\"plan\":" + quoted(path) + ",\"kiln_version\":" + quoted(plan.kiln_version);
  out += ",\"plugins\":" + array(plan.plugins, plugin_json);
  out += ",\"build_info\":{";
  bool first = true;
  for (const auto& [key, value] : plan.build_info) {
    out += (first ? "" : ",") + quoted(key) + ":" + quoted(value);
    first = false;
  }
  out += "},\"memory\":{\"arena_bytes\":" + std::to_string(plan.memory.arena_bytes) +
         ",\"naive_bytes\":" + std::to_string(plan.memory.naive_bytes) +
         ",\"alignment\":" + std::to_string(plan.memory.alignment) +
         ",\"device_arena_bytes\":" + std::to_string(plan.memory.device_arena_bytes) + "}";
  out += ",\"streams\":" + std::to_string(plan.schedule.num_streams) + ",\"waits\":" +
         array(plan.schedule.waits, [](const PlanWait& w) {
           return "{\"layer\":" + std::to_string(w.layer) + ",\"waits_for\":" + std::to_string(w.waits_for) + "}";
         });
  out += ",\"profile\":" + array(plan.profile, [&](const PlanProfileInput& p) {
           return "{\"input\":" + quoted(plan.values[static_cast<size_t>(p.value)].name) + ",\"min\":" +
                  array(p.min, number) + ",\"opt\":" + array(p.opt, number) + ",\"max\":" + array(p.max, number) + "}";
         });
  out += ",\"layers\":" + array(plan.nodes, [&](const PlanNode& n) { return layer_json(plan, n); });
  out += ",\"tensors\":" + array(plan.values, value_json);
  return out + "}\n";
}

}  // namespace kiln::cli
