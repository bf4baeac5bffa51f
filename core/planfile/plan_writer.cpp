// serialize_plan and write_plan_file: one writer function per record and section, in the order
// docs/plan-format.md lists their fields (plan_reader.cpp reads them back in the same order).
#include <cerrno>
#include <cstring>
#include <fstream>

#include "planfile/byte_writer.hpp"
#include "planfile/checksum.hpp"
#include "planfile/plan_file.hpp"
#include "planfile/plan_format.hpp"
#include "util/error.hpp"

namespace kiln {

using planfile::ByteWriter;

namespace {

// u32 count, then the items; every list in the format is framed this way.
template <class T, class WriteItem>
void write_list(ByteWriter& w, const std::vector<T>& items, WriteItem write_item) {
  w.count(items.size());
  for (const T& item : items) write_item(item);
}

void write_int64s(ByteWriter& w, const std::vector<int64_t>& values) {
  write_list(w, values, [&](int64_t v) { w.i64(v); });
}

void write_int32s(ByteWriter& w, const std::vector<int32_t>& values) {
  write_list(w, values, [&](int32_t v) { w.i32(v); });
}

void write_strings(ByteWriter& w, const std::vector<std::string>& values) {
  write_list(w, values, [&](const std::string& v) { w.string(v); });
}

void write_tensor(ByteWriter& w, const PlanTensor& tensor) {
  w.i32(tensor.dtype);
  write_int64s(w, tensor.dims);
  w.u64(tensor.data.size());
  w.raw(tensor.data);
}

void write_attribute(ByteWriter& w, const std::string& name, const PlanAttribute& a) {
  w.string(name);
  w.i32(a.kind);
  switch (a.kind) {
    case KILN_ATTR_FLOAT:
      w.f32(a.f);
      break;
    case KILN_ATTR_INT:
      w.i64(a.i);
      break;
    case KILN_ATTR_STRING:
      w.string(a.s);
      break;
    case KILN_ATTR_TENSOR:
      write_tensor(w, a.tensor);
      break;
    case KILN_ATTR_FLOATS:
      write_list(w, a.floats, [&](float v) { w.f32(v); });
      break;
    case KILN_ATTR_INTS:
      write_int64s(w, a.ints);
      break;
    case KILN_ATTR_STRINGS:
      write_strings(w, a.strings);
      break;
    default:
      break;  // KILN_ATTR_GRAPH: presence only
  }
}

void write_op(ByteWriter& w, const PlanOp& op) {
  w.string(op.name);
  w.string(op.op_type);
  w.string(op.domain);
  w.i32(op.opset);
  write_int32s(w, op.inputs);
  write_int32s(w, op.outputs);
  w.count(op.attributes.size());
  for (const auto& [name, attribute] : op.attributes) write_attribute(w, name, attribute);
  write_list(w, op.pattern, [&](const PlanOp& step) { write_op(w, step); });
}

void write_node(ByteWriter& w, const PlanNode& node) {
  write_op(w, node.op);
  w.string(node.kernel);
  w.i32(node.plugin);
  w.u64(node.state.size());
  w.raw(node.state);
  w.u32(node.stream);
  w.u64(node.workspace_bytes);
  write_strings(w, node.notes);
}

void write_plugin(ByteWriter& w, const PlanPlugin& plugin) {
  w.string(plugin.name);
  w.string(plugin.version);
  w.u32(plugin.abi_version);
  w.string(plugin.library);
}

void write_quantization(ByteWriter& w, const Quantization& q) {
  w.i32(q.axis);
  w.i32(q.dtype);
  w.u32(static_cast<uint32_t>(q.scales.size()));
  for (float s : q.scales) w.f32(s);
  for (int32_t z : q.zero_points) w.i32(z);
}

void write_value(ByteWriter& w, const PlanValue& value) {
  w.string(value.name);
  w.i32(value.dtype);
  w.u8((value.is_graph_input ? planfile::kValueGraphInput : 0) |
       (value.is_graph_output ? planfile::kValueGraphOutput : 0) | (value.has_shape ? planfile::kValueHasShape : 0) |
       (value.quant ? planfile::kValueQuantized : 0));
  write_int64s(w, value.dims);
  write_strings(w, value.symbols);
  w.i32(value.constant);
  w.u8(static_cast<uint8_t>(value.placement));
  w.u64(value.arena_offset);
  w.u64(value.bytes);
  w.u8(static_cast<uint8_t>(value.layout));
  w.u8(static_cast<uint8_t>(value.device));
  if (value.quant) write_quantization(w, *value.quant);
  if (value.placement == PlanPlacement::kView) {
    w.i32(value.view.view_of);
    w.u64(value.view.byte_offset);
    write_int64s(w, value.view.strides);
  }
}

void write_schedule(ByteWriter& w, const PlanSchedule& schedule) {
  w.u32(schedule.num_streams);
  write_list(w, schedule.waits, [&](const PlanWait& wait) {
    w.u32(wait.layer);
    w.u32(wait.waits_for);
  });
}

void write_memory(ByteWriter& w, const PlanMemory& memory) {
  w.u64(memory.arena_bytes);
  w.u64(memory.naive_bytes);
  w.u64(memory.alignment);
  w.u64(memory.device_arena_bytes);
}

void write_profile_input(ByteWriter& w, const PlanProfileInput& input) {
  w.i32(input.value);
  write_int64s(w, input.min);
  write_int64s(w, input.opt);
  write_int64s(w, input.max);
}

void write_text_map(ByteWriter& w, const std::map<std::string, std::string>& info) {
  w.count(info.size());
  for (const auto& [key, value] : info) {
    w.string(key);
    w.string(value);
  }
}

// A directory (dtype, dims, file offset, size per weight), then each weight's data at the next 64-byte aligned
// file offset. The offsets are computed before anything is written, since the directory precedes the data.
void write_weights(ByteWriter& w, const std::vector<PlanTensor>& weights) {
  size_t directory_bytes = 4;
  for (const PlanTensor& t : weights) directory_bytes += 4 + 4 + 8 * t.dims.size() + 8 + 8;
  auto align = [](size_t offset) {
    return (offset + planfile::kWeightAlignment - 1) / planfile::kWeightAlignment * planfile::kWeightAlignment;
  };
  size_t data_at = w.size() + directory_bytes;
  write_list(w, weights, [&](const PlanTensor& t) {
    data_at = align(data_at);
    w.i32(t.dtype);
    write_int64s(w, t.dims);
    w.u64(data_at);
    w.u64(t.data.size());
    data_at += t.data.size();
  });
  for (const PlanTensor& t : weights) {
    w.pad_to(planfile::kWeightAlignment);
    w.raw(t.data);
  }
}

template <class WriteContents>
void write_section(ByteWriter& w, uint32_t tag, WriteContents write_contents) {
  const size_t begin = w.begin_section(tag);
  write_contents();
  w.end_section(begin);
}

}  // namespace

std::string serialize_plan(const PlanContents& plan) {
  ByteWriter w;
  w.raw(planfile::kMagic, sizeof planfile::kMagic);
  w.u32(planfile::kFormatVersion);
  w.u32(0);  // flags: none defined yet
  w.u64(0);  // payload length, patched below
  w.u64(0);  // checksum, patched below
  w.string(plan.kiln_version);
  write_section(w, planfile::kPluginsTag,
                [&] { write_list(w, plan.plugins, [&](const PlanPlugin& p) { write_plugin(w, p); }); });
  write_section(w, planfile::kValuesTag,
                [&] { write_list(w, plan.values, [&](const PlanValue& v) { write_value(w, v); }); });
  write_section(w, planfile::kNodesTag,
                [&] { write_list(w, plan.nodes, [&](const PlanNode& n) { write_node(w, n); }); });
  write_section(w, planfile::kScheduleTag, [&] { write_schedule(w, plan.schedule); });
  write_section(w, planfile::kMemoryTag, [&] { write_memory(w, plan.memory); });
  write_section(w, planfile::kProfileTag,
                [&] { write_list(w, plan.profile, [&](const PlanProfileInput& p) { write_profile_input(w, p); }); });
  write_section(w, planfile::kBuildInfoTag, [&] { write_text_map(w, plan.build_info); });
  write_section(w, planfile::kTuningTag, [&] { write_text_map(w, plan.tuning); });
  // The WGHT frame starts 12 bytes before its contents; write_weights computes offsets from the buffer size.
  write_section(w, planfile::kWeightsTag, [&] { write_weights(w, plan.weights); });

  const size_t payload = w.size() - planfile::kHeaderBytes;
  w.patch_u64(planfile::kPayloadLengthOffset, payload);
  w.patch_u64(planfile::kChecksumOffset, planfile::fnv1a64(w.bytes().data() + planfile::kHeaderBytes, payload));
  return std::move(w.bytes());
}

void write_plan_file(const PlanContents& plan, const std::string& path) {
  const std::string bytes = serialize_plan(plan);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(path + ": cannot open the plan file for writing: " + std::strerror(errno));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw Error(path + ": writing the plan file failed (" + std::to_string(bytes.size()) + " bytes)");
}

}  // namespace kiln
