#include "planfile/plan_sections.hpp"

#include <cmath>

#include "ir/dtype.hpp"
#include "ir/tensor.hpp"
#include "planfile/plan_format.hpp"

namespace kiln {
namespace planfile {

namespace {

// The fewest bytes a record can take, so a count can be checked against what is left before anything is
// reserved for it (ByteReader::count).
constexpr size_t kMinStringBytes = 4;
constexpr size_t kMinListBytes = 4;
constexpr size_t kMinOpBytes = 3 * kMinStringBytes + 4 + 4 * kMinListBytes;
constexpr size_t kMinNodeBytes = kMinOpBytes + kMinStringBytes + 4 + 8 + 4 + 8 + kMinListBytes;
constexpr size_t kMinValueBytes = kMinStringBytes + 4 + 1 + 2 * kMinListBytes + 4 + 1 + 8 + 8 + 2;
constexpr size_t kMinAttributeBytes = kMinStringBytes + 4;
constexpr size_t kMinPluginBytes = 3 * kMinStringBytes + 4;
constexpr size_t kMinProfileBytes = 4 + 3 * kMinListBytes;
constexpr size_t kMinWeightBytes = 4 + kMinListBytes + 8 + 8;

std::string quoted(const std::string& name) { return "'" + name + "'"; }

// `read_item(index)` for each of `n` items, n having been checked by ByteReader::count or record_count.
template <class T, class ReadItem>
std::vector<T> read_list(uint32_t n, ReadItem read_item) {
  std::vector<T> items;
  items.reserve(n);
  for (uint32_t i = 0; i < n; ++i) items.push_back(read_item(i));
  return items;
}

std::vector<int64_t> read_int64s(ByteReader& r, const char* field) {
  return read_list<int64_t>(r.count(field, 8), [&](uint32_t) { return r.i64(field); });
}

std::vector<int32_t> read_int32s(ByteReader& r, const char* field) {
  return read_list<int32_t>(r.count(field, 4), [&](uint32_t) { return r.i32(field); });
}

std::vector<std::string> read_strings(ByteReader& r, const char* field) {
  return read_list<std::string>(r.record_count(field, kMinStringBytes), [&](uint32_t) { return r.string(field); });
}

DataType read_dtype(ByteReader& r, const char* field) {
  const DataType dtype = r.i32(field);
  if (dtype_size(dtype) == 0) r.fail(field, dtype_name(dtype) + " is not a type a plan can hold");
  return dtype;
}

// Dims of a value: each >= 0, or -1 when unknown.
std::vector<int64_t> read_dims(ByteReader& r, const char* field) {
  std::vector<int64_t> dims = read_int64s(r, field);
  for (size_t k = 0; k < dims.size(); ++k) {
    if (dims[k] < -1)
      r.fail(field,
             "dim " + std::to_string(k) + " is " + std::to_string(dims[k]) + " (dims are >= 0, or -1 when unknown)");
  }
  return dims;
}

// Dims of a tensor with data, and the byte size they imply, refusing unknown dims and overflow.
std::vector<int64_t> read_tensor_dims(ByteReader& r, DataType dtype, uint64_t* bytes) {
  std::vector<int64_t> dims = read_int64s(r, "dims");
  uint64_t total = dtype_size(dtype);
  for (size_t k = 0; k < dims.size(); ++k) {
    if (dims[k] < 0)
      r.fail("dims",
             "dim " + std::to_string(k) + " is " + std::to_string(dims[k]) + " (a tensor's dims are known and >= 0)");
    const auto dim = static_cast<uint64_t>(dims[k]);
    if (dim != 0 && total > UINT64_MAX / dim) r.fail("dims", format_dims(dims) + " overflow a 64-bit size");
    total *= dim;
  }
  *bytes = total;
  return dims;
}

void check_tensor_bytes(ByteReader& r, const char* field, DataType dtype, uint64_t expected, uint64_t stored) {
  if (stored != expected) {
    r.fail(field, std::to_string(stored) + " bytes stored but " + dtype_name(dtype) + " data of these dims takes " +
                      std::to_string(expected));
  }
}

PlanTensor read_tensor(ByteReader& r) {
  PlanTensor tensor;
  tensor.dtype = read_dtype(r, "dtype");
  uint64_t expected = 0;
  tensor.dims = read_tensor_dims(r, tensor.dtype, &expected);
  const uint64_t stored = r.u64("byte size");
  check_tensor_bytes(r, "byte size", tensor.dtype, expected, stored);
  tensor.data = r.bytes(stored, "data");
  return tensor;
}

PlanAttribute read_attribute(ByteReader& r) {
  PlanAttribute a;
  a.kind = r.i32("kind");
  switch (a.kind) {
    case KILN_ATTR_FLOAT:
      a.f = r.f32("float");
      break;
    case KILN_ATTR_INT:
      a.i = r.i64("int");
      break;
    case KILN_ATTR_STRING:
      a.s = r.string("string");
      break;
    case KILN_ATTR_TENSOR: {
      ByteReader::Context context(r, "tensor");
      a.tensor = read_tensor(r);
      break;
    }
    case KILN_ATTR_GRAPH:
      break;  // presence only
    case KILN_ATTR_FLOATS:
      a.floats = read_list<float>(r.count("floats", 4), [&](uint32_t) { return r.f32("floats"); });
      break;
    case KILN_ATTR_INTS:
      a.ints = read_int64s(r, "ints");
      break;
    case KILN_ATTR_STRINGS:
      a.strings = read_strings(r, "strings");
      break;
    default:
      r.fail("kind", std::to_string(a.kind) + " is not an attribute kind");
  }
  return a;
}

// `label` ("node 12", "pattern step 0") names the op in messages, with its name once that has been read.
PlanOp read_op(ByteReader& r, const std::string& label, int depth) {
  ByteReader::Context context(r, label);
  PlanOp op;
  op.name = r.string("name");
  context.set(label + " (" + quoted(op.name) + ")");
  op.op_type = r.string("op_type");
  op.domain = r.string("domain");
  op.opset = r.i32("opset");
  if (op.opset < 0) r.fail("opset", std::to_string(op.opset) + " is negative");
  op.inputs = read_int32s(r, "inputs");
  op.outputs = read_int32s(r, "outputs");
  const uint32_t num_attributes = r.record_count("attributes", kMinAttributeBytes);
  for (uint32_t k = 0; k < num_attributes; ++k) {
    ByteReader::Context attribute_context(r, "attribute " + std::to_string(k));
    std::string name = r.string("name");
    attribute_context.set("attribute " + quoted(name));
    PlanAttribute attribute = read_attribute(r);
    if (!op.attributes.emplace(std::move(name), std::move(attribute)).second) r.fail("appears twice");
  }
  const uint32_t num_steps = r.record_count("pattern", kMinOpBytes);
  if (num_steps > 0 && depth >= kMaxPatternDepth) {
    r.fail("pattern", "fused patterns nest deeper than " + std::to_string(kMaxPatternDepth) + " levels");
  }
  op.pattern.reserve(num_steps);
  for (uint32_t k = 0; k < num_steps; ++k)
    op.pattern.push_back(read_op(r, "pattern step " + std::to_string(k), depth + 1));
  return op;
}

}  // namespace

std::vector<PlanPlugin> read_plugins(ByteReader& r) {
  return read_list<PlanPlugin>(r.record_count("plugin count", kMinPluginBytes), [&](uint32_t i) {
    ByteReader::Context context(r, "plugin " + std::to_string(i));
    PlanPlugin plugin;
    plugin.name = r.string("name");
    context.set("plugin " + std::to_string(i) + " (" + quoted(plugin.name) + ")");
    plugin.version = r.string("version");
    plugin.abi_version = r.u32("abi_version");
    plugin.library = r.string("library");
    return plugin;
  });
}

namespace {

PlanView read_view(ByteReader& r) {
  PlanView view;
  view.view_of = r.i32("view_of");
  view.byte_offset = r.u64("view byte offset");
  view.strides = read_int64s(r, "view strides");
  return view;
}

// Scales finite and positive, zero points within the integer type: what the builder can produce.
Quantization read_quantization(ByteReader& r) {
  Quantization q;
  q.axis = r.i32("quantization axis");
  if (q.axis < -1) r.fail("quantization axis", std::to_string(q.axis) + " is neither -1 nor a dim");
  q.dtype = r.i32("quantization dtype");
  if (q.dtype != KILN_DTYPE_INT8 && q.dtype != KILN_DTYPE_UINT8)
    r.fail("quantization dtype", std::to_string(q.dtype) + " is neither int8 nor uint8");
  const uint32_t n = r.count("quantization scales", 8);
  if (n == 0) r.fail("quantization scales", "none");
  if (q.axis < 0 && n != 1) r.fail("quantization scales", std::to_string(n) + " for a per-tensor quantization");
  q.scales = read_list<float>(n, [&](uint32_t) { return r.f32("quantization scale"); });
  for (float s : q.scales)
    if (!(s > 0) || !std::isfinite(s)) r.fail("quantization scale", std::to_string(s) + " is not finite and positive");
  q.zero_points = read_list<int32_t>(n, [&](uint32_t) { return r.i32("quantization zero point"); });
  const int32_t low = q.dtype == KILN_DTYPE_INT8 ? -128 : 0, high = q.dtype == KILN_DTYPE_INT8 ? 127 : 255;
  for (int32_t z : q.zero_points)
    if (z < low || z > high) r.fail("quantization zero point", std::to_string(z) + " is outside the integer type");
  return q;
}

PlanValue read_value(ByteReader& r, uint32_t index) {
  ByteReader::Context context(r, "value " + std::to_string(index));
  PlanValue value;
  value.name = r.string("name");
  context.set("value " + std::to_string(index) + " (" + quoted(value.name) + ")");
  value.dtype = read_dtype(r, "dtype");
  const uint8_t flags = r.u8("flags");
  if (flags & ~kValueFlagsKnown) r.fail("flags", "unknown bits set (" + std::to_string(flags) + ")");
  value.is_graph_input = flags & kValueGraphInput;
  value.is_graph_output = flags & kValueGraphOutput;
  value.has_shape = flags & kValueHasShape;
  value.dims = read_dims(r, "dims");
  if (!value.has_shape && !value.dims.empty()) r.fail("dims", "present although the rank is unknown");
  value.symbols = read_strings(r, "symbols");
  if (value.symbols.size() != value.dims.size()) {
    r.fail("symbols", std::to_string(value.symbols.size()) + " for " + std::to_string(value.dims.size()) + " dims");
  }
  value.constant = r.i32("constant");
  const uint8_t placement = r.u8("placement");
  if (placement > static_cast<uint8_t>(PlanPlacement::kView)) {
    r.fail("placement", std::to_string(placement) + " is not a placement (0 arena, 1 external, 2 view)");
  }
  value.placement = static_cast<PlanPlacement>(placement);
  value.arena_offset = r.u64("arena offset");
  value.bytes = r.u64("bytes");
  const uint8_t layout = r.u8("layout");
  if (layout > KILN_LAYOUT_NHWC) r.fail("layout", std::to_string(layout) + " is not a layout (0 linear, 1 NHWC)");
  value.layout = layout;
  const uint8_t device = r.u8("device");
  if (device > KILN_DEVICE_CUDA) r.fail("device", std::to_string(device) + " is not a device (0 CPU, 1 CUDA)");
  value.device = device;
  if (flags & kValueQuantized) value.quant = read_quantization(r);
  if (value.placement == PlanPlacement::kView) value.view = read_view(r);
  return value;
}

PlanNode read_node(ByteReader& r, uint32_t index) {
  PlanNode node;
  const std::string label = "node " + std::to_string(index);
  node.op = read_op(r, label, 0);
  ByteReader::Context context(r, label + " (" + quoted(node.op.name) + ")");
  node.kernel = r.string("kernel");
  node.plugin = r.i32("plugin");
  node.state = r.bytes(r.u64("state size"), "state");
  node.stream = r.u32("stream");
  node.workspace_bytes = r.u64("workspace bytes");
  node.notes = read_strings(r, "notes");
  return node;
}

}  // namespace

std::vector<PlanValue> read_values(ByteReader& r) {
  return read_list<PlanValue>(r.record_count("value count", kMinValueBytes),
                              [&](uint32_t i) { return read_value(r, i); });
}

std::vector<PlanNode> read_nodes(ByteReader& r) {
  return read_list<PlanNode>(r.record_count("node count", kMinNodeBytes), [&](uint32_t i) { return read_node(r, i); });
}

PlanSchedule read_schedule(ByteReader& r) {
  ByteReader::Context context(r, "schedule");
  PlanSchedule schedule;
  schedule.num_streams = r.u32("num_streams");
  schedule.waits = read_list<PlanWait>(r.count("waits", 8), [&](uint32_t) {
    PlanWait wait;
    wait.layer = r.u32("wait layer");
    wait.waits_for = r.u32("wait waits_for");
    return wait;
  });
  return schedule;
}

PlanMemory read_memory(ByteReader& r) {
  ByteReader::Context context(r, "memory");
  PlanMemory memory;
  memory.arena_bytes = r.u64("arena bytes");
  memory.naive_bytes = r.u64("naive bytes");
  memory.alignment = r.u64("alignment");
  memory.device_arena_bytes = r.u64("device arena bytes");
  if (memory.alignment == 0 || (memory.alignment & (memory.alignment - 1)) != 0) {
    r.fail("alignment", std::to_string(memory.alignment) + " is not a power of two");
  }
  return memory;
}

std::vector<PlanProfileInput> read_profile(ByteReader& r) {
  return read_list<PlanProfileInput>(r.record_count("profile count", kMinProfileBytes), [&](uint32_t i) {
    ByteReader::Context context(r, "profile input " + std::to_string(i));
    PlanProfileInput input;
    input.value = r.i32("value");
    input.min = read_int64s(r, "min");
    input.opt = read_int64s(r, "opt");
    input.max = read_int64s(r, "max");
    return input;
  });
}

std::map<std::string, std::string> read_text_map(ByteReader& r, const char* what) {
  ByteReader::Context context(r, what);
  std::map<std::string, std::string> info;
  const uint32_t n = r.record_count("count", 2 * kMinStringBytes);
  for (uint32_t i = 0; i < n; ++i) {
    std::string key = r.string("key");
    std::string value = r.string("value");
    if (!info.emplace(key, std::move(value)).second) r.fail("key " + quoted(key) + " appears twice");
  }
  return info;
}

std::vector<PlanTensor> read_weights(ByteReader& r) {
  struct Entry {
    uint64_t offset;
    uint64_t size;
  };
  std::vector<Entry> entries;
  std::vector<PlanTensor> weights =
      read_list<PlanTensor>(r.record_count("weight count", kMinWeightBytes), [&](uint32_t i) {
        ByteReader::Context context(r, "weight " + std::to_string(i));
        PlanTensor tensor;
        tensor.dtype = read_dtype(r, "dtype");
        uint64_t expected = 0;
        tensor.dims = read_tensor_dims(r, tensor.dtype, &expected);
        const uint64_t offset = r.u64("file offset");
        const uint64_t size = r.u64("byte size");
        check_tensor_bytes(r, "byte size", tensor.dtype, expected, size);
        entries.push_back({offset, size});
        return tensor;
      });
  // The data follows the directory in order, each at the next aligned offset with zero padding between: the one
  // layout the writer produces, so any other offset is corruption.
  for (size_t i = 0; i < weights.size(); ++i) {
    ByteReader::Context context(r, "weight " + std::to_string(i));
    const uint64_t aligned = (r.offset() + kWeightAlignment - 1) / kWeightAlignment * kWeightAlignment;
    if (entries[i].offset != aligned) {
      r.fail("file offset", std::to_string(entries[i].offset) + " but the data must start at " +
                                std::to_string(aligned) + " (the next " + std::to_string(kWeightAlignment) +
                                "-byte boundary)");
    }
    r.zeros_to(static_cast<size_t>(aligned), "padding");
    weights[i].data = r.bytes(entries[i].size, "data");
  }
  return weights;
}

}  // namespace planfile
}  // namespace kiln
