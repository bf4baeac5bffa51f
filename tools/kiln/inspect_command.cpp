#include <cstdarg>
#include <cstdio>

#include "cli.hpp"
#include "inspect.hpp"
#include "ir/dtype.hpp"
#include "ir/tensor.hpp"
#include "planfile/plan_file.hpp"
#include "util/error.hpp"

namespace kiln::cli {

namespace {

const char* placement_name(PlanPlacement p) {
  switch (p) {
    case PlanPlacement::kArena: return "arena";
    case PlanPlacement::kView: return "view";
    default: return "external";
  }
}

std::string line(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string line(const char* format, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  return std::string(buffer) + "\n";
}

std::string value_list(const PlanContents& plan, const std::vector<int32_t>& values) {
  std::string text;
  for (int32_t v : values) text += (text.empty() ? "" : ", ") + describe_plan_value(plan, v);
  return text;
}

std::string layers_section(const PlanContents& plan) {
  std::string out = "layers (" + std::to_string(plan.nodes.size()) + ")\n";
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const PlanNode& n = plan.nodes[i];
    out += line("  %4zu %-28s %-18s %s (%s) %s %s %s stream %u%s", i, n.op.name.c_str(), n.op.op_type.c_str(),
                n.kernel.c_str(), origin_of(plan, n).c_str(), device_of(plan, n).c_str(), precision_of(plan, n).c_str(),
                layout_of(plan, n).c_str(), n.stream,
                writes_in_place(plan, n) ? " (no-op: its inputs were written in place)"
                : n.op.pattern.empty()   ? ""
                                         : (" fuses " + std::to_string(n.op.pattern.size()) + " nodes").c_str());
    out += "         in:  " + value_list(plan, n.op.inputs) + "\n";
    out += "         out: " + value_list(plan, n.op.outputs) + "\n";
    for (const std::string& note : n.notes) out += "         note: " + note + "\n";
  }
  return out;
}

std::string tensors_section(const PlanContents& plan) {
  std::string out = "tensors (" + std::to_string(plan.values.size()) + ")\n";
  for (size_t i = 0; i < plan.values.size(); ++i) {
    const PlanValue& v = plan.values[i];
    const char* role = v.is_graph_input ? "input" : v.is_graph_output ? "output" : v.constant >= 0 ? "weight" : "";
    if (v.placement == PlanPlacement::kArena)
      out += line("  %-40s %-28s arena offset %12llu size %12llu %s", v.name.c_str(),
                  describe_plan_value(plan, static_cast<int32_t>(i)).substr(v.name.size() + 1).c_str(),
                  static_cast<unsigned long long>(v.arena_offset), static_cast<unsigned long long>(v.bytes), role);
    else
      out += line("  %-40s %-28s %s %s", v.name.c_str(),
                  describe_plan_value(plan, static_cast<int32_t>(i)).substr(v.name.size() + 1).c_str(),
                  placement_name(v.placement), role);
  }
  return out;
}

}  // namespace

bool writes_in_place(const PlanContents& plan, const PlanNode& node) {
  if (node.op.inputs.empty() || node.op.outputs.empty() || node.op.outputs[0] < 0) return false;
  for (int32_t v : node.op.inputs) {
    if (v < 0) return false;
    const PlanValue& value = plan.values[static_cast<size_t>(v)];
    if (value.placement != PlanPlacement::kView || value.view.view_of != node.op.outputs[0]) return false;
  }
  return true;
}

std::string precision_of(const PlanContents& plan, const PlanNode& node) {
  // A layer that reads or writes quantized activations computes in INT8, whatever type its output is.
  if (node.op.op_type != "QuantizeLinear" && node.op.op_type != "DequantizeLinear")
    for (const std::vector<int32_t>* list : {&node.op.inputs, &node.op.outputs})
      for (int32_t v : *list)
        if (v >= 0 && plan.values[static_cast<size_t>(v)].quant && plan.values[static_cast<size_t>(v)].constant < 0) return "int8";
  for (int32_t v : node.op.outputs) {
    if (v < 0) continue;
    switch (plan.values[static_cast<size_t>(v)].dtype) {
      case KILN_DTYPE_FLOAT32: return "fp32";
      case KILN_DTYPE_FLOAT16: return "fp16";
      case KILN_DTYPE_BFLOAT16: return "bf16";
      case KILN_DTYPE_INT8: return "int8";
      default: return dtype_name(plan.values[static_cast<size_t>(v)].dtype);
    }
  }
  return "-";
}

namespace {

const PlanValue* first_output(const PlanContents& plan, const PlanNode& node) {
  for (int32_t v : node.op.outputs)
    if (v >= 0) return &plan.values[static_cast<size_t>(v)];
  return nullptr;
}

}  // namespace

std::string layout_of(const PlanContents& plan, const PlanNode& node) {
  const PlanValue* v = first_output(plan, node);
  return v && v->layout == KILN_LAYOUT_NHWC ? "NHWC" : "linear";
}

std::string device_of(const PlanContents& plan, const PlanNode& node) {
  if (node.op.domain == "kiln") return node.op.op_type == "CopyToDevice" ? "cpu->cuda" : "cuda->cpu";
  const PlanValue* v = first_output(plan, node);
  return v && v->device == KILN_DEVICE_CUDA ? "cuda" : "cpu";
}

std::string origin_of(const PlanContents& plan, const PlanNode& node) {
  if (node.plugin < 0) return "kiln core";
  const PlanPlugin& p = plan.plugins[static_cast<size_t>(node.plugin)];
  return p.name + " " + p.version;
}

std::string describe_plan_value(const PlanContents& plan, int32_t index) {
  if (index < 0) return "-";
  const PlanValue& v = plan.values[static_cast<size_t>(index)];
  return v.name + " " + dtype_name(v.dtype) + (v.has_shape ? format_dims(v.dims) : "[?]") +
         (v.quant ? " {" + v.quant->describe() + "}" : "");
}

std::string inspect_text(const PlanContents& plan, const std::string& path) {
  std::string out = line("plan     %s (built by kiln %s)", path.c_str(), plan.kiln_version.c_str());
  for (const PlanPlugin& p : plan.plugins)
    out += line("plugin   %s %s (ABI %u.%u) from %s", p.name.c_str(), p.version.c_str(), p.abi_version >> 16,
                p.abi_version & 0xFFFFu, p.library.c_str());
  for (const auto& [key, value] : plan.build_info) out += line("build    %-14s %s", key.c_str(), value.c_str());
  for (const PlanProfileInput& p : plan.profile)
    out += line("profile  %s: min %s opt %s max %s", plan.values[static_cast<size_t>(p.value)].name.c_str(),
                format_dims(p.min).c_str(), format_dims(p.opt).c_str(), format_dims(p.max).c_str());
  const double saved = plan.memory.naive_bytes ? 100.0 * static_cast<double>(plan.memory.arena_bytes) /
                                                     static_cast<double>(plan.memory.naive_bytes)
                                               : 0.0;
  if (plan.memory.device_arena_bytes)
    out += line("memory   device arena %llu bytes", static_cast<unsigned long long>(plan.memory.device_arena_bytes));
  out += line("memory   arena %llu bytes, naive %llu bytes (%.1f%%), alignment %llu",
              static_cast<unsigned long long>(plan.memory.arena_bytes),
              static_cast<unsigned long long>(plan.memory.naive_bytes), saved,
              static_cast<unsigned long long>(plan.memory.alignment));
  out += line("streams  %u, %zu cross-stream wait(s)", plan.schedule.num_streams, plan.schedule.waits.size());
  for (const PlanWait& w : plan.schedule.waits)
    out += line("         layer %u waits for layer %u", w.layer, w.waits_for);
  return out + layers_section(plan) + tensors_section(plan);
}

int inspect_command(const Args& args) {
  if (args.positional.size() != 1) throw Error("inspect expects one plan file (see kiln --help)");
  const std::string format = args.option("format", "text");
  const std::string& path = args.positional[0];
  const PlanContents plan = read_plan_file(path);
  std::string out;
  if (format == "text") out = inspect_text(plan, path);
  else if (format == "json") out = inspect_json(plan, path);
  else if (format == "dot") out = inspect_dot(plan);
  else throw Error("--format must be text, json or dot, not '" + format + "'");
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace kiln::cli
