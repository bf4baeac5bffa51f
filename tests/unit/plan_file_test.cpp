// Plan files: round trips, weight alignment, and hostile bytes (truncation, flipped bits, bad magic, newer
// formats, structurally wrong plans with valid checksums).
#include "planfile/plan_file.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "planfile/plan_format.hpp"
#include "planfile/plan_parse.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

std::string temp_path(const std::string& name) { return testing::TempDir() + "/" + name; }

std::vector<uint8_t> random_bytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> bytes(size);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  return bytes;
}

PlanTensor tensor(DataType dtype, std::vector<int64_t> dims, uint32_t seed) {
  int64_t numel = 1;
  for (int64_t d : dims) numel *= d;
  return PlanTensor{dtype, dims, random_bytes(static_cast<size_t>(numel) * dtype_size(dtype), seed)};
}

PlanValue external_value(const std::string& name, DataType dtype, std::vector<int64_t> dims, int32_t constant) {
  PlanValue v;
  v.name = name;
  v.dtype = dtype;
  v.has_shape = true;
  v.symbols.assign(dims.size(), "");
  v.dims = std::move(dims);
  v.constant = constant;
  return v;
}

PlanValue arena_value(const std::string& name, std::vector<int64_t> dims, uint64_t offset, uint64_t bytes) {
  PlanValue v = external_value(name, KILN_DTYPE_FLOAT32, std::move(dims), -1);
  v.placement = PlanPlacement::kArena;
  v.arena_offset = offset;
  v.bytes = bytes;
  return v;
}

PlanValue view_value(const std::string& name, int32_t view_of, uint64_t byte_offset, uint64_t bytes) {
  PlanValue v = external_value(name, KILN_DTYPE_FLOAT32, {1, 4, 8, 8}, -1);
  v.placement = PlanPlacement::kView;
  v.bytes = bytes;
  v.view = PlanView{view_of, byte_offset, {512, 64, 8, 1}};
  return v;
}

PlanAttribute attribute(kiln_attr_kind kind) {
  PlanAttribute a;
  a.kind = kind;
  return a;
}

// One attribute of every kind, with edge values (negative, NaN-free extremes, empty and non-ASCII strings).
std::map<std::string, PlanAttribute> every_attribute_kind() {
  std::map<std::string, PlanAttribute> attributes;
  attributes["group"] = attribute(KILN_ATTR_INT);
  attributes["group"].i = -9000000000LL;
  attributes["alpha"] = attribute(KILN_ATTR_FLOAT);
  attributes["alpha"].f = -1.5e-30f;
  attributes["auto_pad"] = attribute(KILN_ATTR_STRING);
  attributes["auto_pad"].s = std::string("SAME_\0UPPER\xc3\xa9", 13);
  attributes["pads"] = attribute(KILN_ATTR_INTS);
  attributes["pads"].ints = {1, 1, -1, 0};
  attributes["scales"] = attribute(KILN_ATTR_FLOATS);
  attributes["scales"].floats = {0.5f, 2.0f, 1e30f};
  attributes["names"] = attribute(KILN_ATTR_STRINGS);
  attributes["names"].strings = {"a", "", "long name with spaces"};
  attributes["value"] = attribute(KILN_ATTR_TENSOR);
  attributes["value"].tensor = tensor(KILN_DTYPE_INT16, {3, 1}, 7);
  attributes["body"] = attribute(KILN_ATTR_GRAPH);
  attributes["empty_ints"] = attribute(KILN_ATTR_INTS);
  return attributes;
}

PlanOp op(const std::string& name, const std::string& op_type, std::vector<int32_t> inputs,
          std::vector<int32_t> outputs) {
  PlanOp o;
  o.name = name;
  o.op_type = op_type;
  o.opset = 17;
  o.inputs = std::move(inputs);
  o.outputs = std::move(outputs);
  return o;
}

PlanNode node(PlanOp o, const std::string& kernel, int32_t plugin, uint32_t stream) {
  PlanNode n;
  n.op = std::move(o);
  n.kernel = kernel;
  n.plugin = plugin;
  n.stream = stream;
  return n;
}

// A plan using every feature: two plugins, external/arena/view values (a Concat eliminated into views), a fused
// node whose pattern nests, every attribute kind, empty and non-empty state, two streams, weights of odd sizes.
PlanContents rich_plan() {
  PlanContents plan;
  plan.kiln_version = "0.1.0";
  plan.plugins = {{"kiln.cpu_reference", "0.1.0", KILN_ABI_VERSION, "cpu_reference"},
                  {"com.example.swish", "1.2.3", KILN_MAKE_ABI_VERSION(1, 0), "/opt/plugins/libswish.so"}};
  plan.weights = {tensor(KILN_DTYPE_FLOAT32, {4, 3, 3, 3}, 1),
                  tensor(KILN_DTYPE_INT8, {5}, 2),
                  tensor(KILN_DTYPE_FLOAT16, {3}, 3),
                  tensor(KILN_DTYPE_INT64, {2}, 4),
                  tensor(KILN_DTYPE_BOOL, {7, 1}, 5),
                  tensor(KILN_DTYPE_FLOAT32, {0, 2}, 6),
                  tensor(KILN_DTYPE_FLOAT64, {}, 8)};
  PlanValue input = external_value("input", KILN_DTYPE_FLOAT32, {-1, 3, 8, 8}, -1);
  input.symbols[0] = "batch";
  input.is_graph_input = true;
  PlanValue output = external_value("output", KILN_DTYPE_FLOAT32, {}, -1);
  output.has_shape = false;  // rank unknown
  output.is_graph_output = true;
  plan.values = {input,
                 external_value("conv_w", KILN_DTYPE_FLOAT32, {4, 3, 3, 3}, 0),
                 external_value("q_zero", KILN_DTYPE_INT8, {5}, 1),
                 external_value("half", KILN_DTYPE_FLOAT16, {3}, 2),
                 external_value("shape", KILN_DTYPE_INT64, {2}, 3),
                 external_value("mask", KILN_DTYPE_BOOL, {7, 1}, 4),
                 external_value("nothing", KILN_DTYPE_FLOAT32, {0, 2}, 5),
                 external_value("scalar", KILN_DTYPE_FLOAT64, {}, 6),
                 arena_value("conv_out", {1, 4, 8, 8}, 0, 1024),
                 arena_value("cat", {1, 8, 8, 8}, 1024, 2048),
                 view_value("swish_out", 9, 0, 1024),
                 view_value("copy_out", 9, 1024, 1024),
                 output,
                 arena_value("on_device", {1, 3, 8, 8}, 256, 768)};
  plan.values[9].layout = KILN_LAYOUT_NHWC;
  plan.values[13].device = KILN_DEVICE_CUDA;
  plan.values[8].quant = Quantization::per_tensor(0.05f, 3, KILN_DTYPE_UINT8);
  Quantization per_channel;
  per_channel.axis = 1;
  per_channel.scales = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
  per_channel.zero_points = {0, -1, 2, 0, 0, 0, 127, -128};
  plan.values[9].quant = per_channel;

  PlanOp conv = op("conv1", "Conv", {0, 1, -1}, {-1});
  conv.attributes = every_attribute_kind();
  PlanOp relu = op("relu1", "Relu", {-1}, {8});
  PlanOp inner = op("clip1", "Clip", {-1, 2}, {-1});
  inner.attributes["min"] = attribute(KILN_ATTR_FLOAT);
  relu.pattern = {inner};  // a fusion of fusions
  PlanOp fused = op("conv1_relu1", "ConvRelu", {0, 1, -1}, {8});
  fused.attributes = every_attribute_kind();
  fused.pattern = {conv, relu};
  PlanNode conv_node = node(fused, "kiln.cpu_ref.ConvRelu", 0, 0);
  conv_node.state = {1, 2, 3, 0, 255};
  conv_node.workspace_bytes = 4096;
  PlanOp swish = op("swish", "Swish", {8}, {10});
  swish.domain = "com.example";
  swish.opset = 1;
  PlanNode swish_node = node(swish, "com.example.Swish", 1, 1);  // empty state: the runtime calls create
  PlanNode copy_node = node(op("copy", "Identity", {8}, {11}), "kiln.cpu_ref.Copy", 0, 0);
  PlanNode final_node = node(op("final", "Relu", {9, -1}, {12, -1}), "kiln.cpu_ref.Relu", 0, 0);
  final_node.state = {42};
  final_node.notes = {"timed 3 algorithms", "winner: 0.041 ms"};
  PlanOp upload = op("to_device", "CopyToDevice", {0}, {13});
  upload.domain = "kiln";
  PlanNode upload_node = node(upload, "kiln.core.CopyToDevice", -1, 0);  // the core's own layer: no plugin
  plan.nodes = {conv_node, swish_node, copy_node, final_node, upload_node};

  plan.schedule.num_streams = 2;
  plan.schedule.waits = {{1, 0}, {3, 1}};
  plan.memory = {4096, 9000, 64, 1024};
  plan.profile = {{0, {1, 3, 8, 8}, {4, 3, 8, 8}, {16, 3, 8, 8}}};
  plan.build_info = {{"build time", "2024-01-01T00:00:00Z"}, {"passes", "fuse: 1, eliminate_concat: 1"}};
  return plan;
}

// The smallest plan with a node, a value of each placement and a weight, for byte-by-byte tests.
PlanContents small_plan() {
  PlanContents plan;
  plan.kiln_version = "0.1.0";
  plan.plugins = {{"kiln.cpu_reference", "0.1.0", KILN_ABI_VERSION, "cpu_reference"}};
  plan.weights = {tensor(KILN_DTYPE_FLOAT32, {3}, 9)};
  PlanValue x = external_value("x", KILN_DTYPE_FLOAT32, {3}, -1);
  x.is_graph_input = true;
  PlanValue y = external_value("y", KILN_DTYPE_FLOAT32, {3}, -1);
  y.is_graph_output = true;
  plan.values = {x, external_value("w", KILN_DTYPE_FLOAT32, {3}, 0), arena_value("t", {3}, 0, 64), y};
  PlanOp relu = op("relu", "Relu", {2}, {3});
  relu.attributes["pads"] = attribute(KILN_ATTR_INTS);
  relu.attributes["pads"].ints = {1, 2, 3, 4};
  plan.nodes = {node(op("add", "Add", {0, 1}, {2}), "kiln.cpu_ref.Add", 0, 0), node(relu, "kiln.cpu_ref.Relu", 0, 0)};
  plan.memory = {64, 128, 64};
  plan.tuning = {{"conv|H100|1x64x56x56", "fused 1"}};  // a timing-cache entry the build used
  return plan;
}

// ---- field-by-field comparison, so a failure names the field that did not survive ----

void expect_same(const PlanTensor& a, const PlanTensor& b) {
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.dims, b.dims);
  EXPECT_EQ(a.data, b.data);
}

void expect_same(const PlanAttribute& a, const PlanAttribute& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.i, b.i);
  EXPECT_EQ(std::memcmp(&a.f, &b.f, sizeof a.f), 0) << a.f << " vs " << b.f;  // bitwise: -0.0 and NaN too
  EXPECT_EQ(a.s, b.s);
  EXPECT_EQ(a.ints, b.ints);
  EXPECT_EQ(a.floats, b.floats);
  EXPECT_EQ(a.strings, b.strings);
  expect_same(a.tensor, b.tensor);
}

void expect_same(const PlanOp& a, const PlanOp& b) {
  SCOPED_TRACE("op " + a.name);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.op_type, b.op_type);
  EXPECT_EQ(a.domain, b.domain);
  EXPECT_EQ(a.opset, b.opset);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.outputs, b.outputs);
  ASSERT_EQ(a.attributes.size(), b.attributes.size());
  for (auto ia = a.attributes.begin(), ib = b.attributes.begin(); ia != a.attributes.end(); ++ia, ++ib) {
    SCOPED_TRACE("attribute " + ia->first);
    EXPECT_EQ(ia->first, ib->first);
    expect_same(ia->second, ib->second);
  }
  ASSERT_EQ(a.pattern.size(), b.pattern.size());
  for (size_t k = 0; k < a.pattern.size(); ++k) expect_same(a.pattern[k], b.pattern[k]);
}

void expect_same(const PlanNode& a, const PlanNode& b) {
  expect_same(a.op, b.op);
  EXPECT_EQ(a.kernel, b.kernel);
  EXPECT_EQ(a.plugin, b.plugin);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.stream, b.stream);
  EXPECT_EQ(a.workspace_bytes, b.workspace_bytes);
}

void expect_same(const PlanValue& a, const PlanValue& b) {
  SCOPED_TRACE("value " + a.name);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.has_shape, b.has_shape);
  EXPECT_EQ(a.dims, b.dims);
  EXPECT_EQ(a.symbols, b.symbols);
  EXPECT_EQ(a.is_graph_input, b.is_graph_input);
  EXPECT_EQ(a.is_graph_output, b.is_graph_output);
  EXPECT_EQ(a.constant, b.constant);
  EXPECT_EQ(a.placement, b.placement);
  EXPECT_EQ(a.arena_offset, b.arena_offset);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.view.view_of, b.view.view_of);
  EXPECT_EQ(a.view.byte_offset, b.view.byte_offset);
  EXPECT_EQ(a.view.strides, b.view.strides);
  EXPECT_EQ(a.layout, b.layout);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.quant, b.quant);
}

void expect_same(const PlanContents& a, const PlanContents& b) {
  EXPECT_EQ(a.kiln_version, b.kiln_version);
  ASSERT_EQ(a.plugins.size(), b.plugins.size());
  for (size_t i = 0; i < a.plugins.size(); ++i) {
    EXPECT_EQ(a.plugins[i].name, b.plugins[i].name);
    EXPECT_EQ(a.plugins[i].version, b.plugins[i].version);
    EXPECT_EQ(a.plugins[i].abi_version, b.plugins[i].abi_version);
    EXPECT_EQ(a.plugins[i].library, b.plugins[i].library);
  }
  ASSERT_EQ(a.values.size(), b.values.size());
  for (size_t i = 0; i < a.values.size(); ++i) expect_same(a.values[i], b.values[i]);
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) expect_same(a.nodes[i], b.nodes[i]);
  EXPECT_EQ(a.schedule.num_streams, b.schedule.num_streams);
  ASSERT_EQ(a.schedule.waits.size(), b.schedule.waits.size());
  for (size_t i = 0; i < a.schedule.waits.size(); ++i) {
    EXPECT_EQ(a.schedule.waits[i].layer, b.schedule.waits[i].layer);
    EXPECT_EQ(a.schedule.waits[i].waits_for, b.schedule.waits[i].waits_for);
  }
  EXPECT_EQ(a.memory.arena_bytes, b.memory.arena_bytes);
  EXPECT_EQ(a.memory.naive_bytes, b.memory.naive_bytes);
  EXPECT_EQ(a.memory.alignment, b.memory.alignment);
  ASSERT_EQ(a.profile.size(), b.profile.size());
  for (size_t i = 0; i < a.profile.size(); ++i) {
    EXPECT_EQ(a.profile[i].value, b.profile[i].value);
    EXPECT_EQ(a.profile[i].min, b.profile[i].min);
    EXPECT_EQ(a.profile[i].opt, b.profile[i].opt);
    EXPECT_EQ(a.profile[i].max, b.profile[i].max);
  }
  ASSERT_EQ(a.weights.size(), b.weights.size());
  for (size_t i = 0; i < a.weights.size(); ++i) expect_same(a.weights[i], b.weights[i]);
  EXPECT_EQ(a.build_info, b.build_info);
}

// The message of the kiln::Error `parse` throws, or "no error".
std::string error_of(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

std::string parse_error(const PlanContents& plan) {
  return error_of([&] { parse_plan(serialize_plan(plan), "model.plan"); });
}

void put_u32(std::string& bytes, size_t offset, uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[offset + i] = static_cast<char>(value >> (8 * i));
}

// ---- tests ----

TEST(PlanFile, RoundTripsEveryField) {
  const PlanContents plan = rich_plan();
  const std::string path = temp_path("rich.plan");
  write_plan_file(plan, path);
  expect_same(read_plan_file(path), plan);
}

TEST(PlanFile, ImpossibleQuantizationIsRefused) {
  PlanContents plan = rich_plan();
  plan.values[8].quant->scales = {0.0f};
  EXPECT_NE(parse_error(plan).find("quantization scale"), std::string::npos) << parse_error(plan);
  plan = rich_plan();
  plan.values[8].quant->zero_points = {256};
  EXPECT_NE(parse_error(plan).find("is outside the integer type"), std::string::npos) << parse_error(plan);
  plan = rich_plan();
  plan.values[8].quant->dtype = KILN_DTYPE_INT32;
  EXPECT_NE(parse_error(plan).find("is neither int8 nor uint8"), std::string::npos) << parse_error(plan);
}

TEST(PlanFile, SerializingIsDeterministic) {
  EXPECT_EQ(serialize_plan(rich_plan()), serialize_plan(rich_plan()));
  const std::string bytes = serialize_plan(rich_plan());
  EXPECT_EQ(serialize_plan(parse_plan(bytes, "rich.plan")), bytes);
}

TEST(PlanFile, WeightsStartAt64ByteAlignedOffsets) {
  const PlanContents plan = rich_plan();
  const std::string bytes = serialize_plan(plan);
  size_t end = 0;
  for (const PlanTensor& weight : plan.weights) {
    if (weight.data.empty()) continue;
    // Each weight's random bytes occur once in the file; where they are is where the writer put them.
    const size_t at = bytes.find(std::string(weight.data.begin(), weight.data.end()), end);
    ASSERT_NE(at, std::string::npos);
    EXPECT_EQ(at % planfile::kWeightAlignment, 0u) << "weight " << dtype_name(weight.dtype) << " at " << at;
    EXPECT_GE(at, end);
    end = at + weight.data.size();
  }
  EXPECT_EQ(end, bytes.size()) << "the last weight ends the file";
}

TEST(PlanFile, EveryTruncationIsAnError) {
  const std::string bytes = serialize_plan(small_plan());
  for (size_t size = 0; size < bytes.size(); ++size) {
    const std::string cut = bytes.substr(0, size);
    EXPECT_THROW(parse_plan(cut, "model.plan"), Error) << "cut at " << size;
    // Without the checksum and length checks, the section readers themselves must catch the short file.
    EXPECT_THROW(planfile::parse_plan(cut, "model.plan", {false}), Error) << "cut at " << size;
  }
}

TEST(PlanFile, TruncationMessageNamesRecordFieldAndOffsets) {
  const std::string bytes = serialize_plan(small_plan());
  // Node 1's 'pads' attribute: a count of 4, then 4 x int64. Cut the file inside them.
  const std::string pads = std::string("\x04\0\0\0", 4) + std::string("\x01\0\0\0\0\0\0\0", 8);
  const size_t at = bytes.find(pads);
  ASSERT_NE(at, std::string::npos);
  const std::string message = error_of([&] { planfile::parse_plan(bytes.substr(0, at + 20), "model.plan", {false}); });
  EXPECT_EQ(message, "model.plan: truncated: node 1 ('relu') attribute 'pads' ints needs 32 bytes at offset " +
                         std::to_string(at + 4) + " but the file ends at " + std::to_string(at + 20));
}

TEST(PlanFile, EveryFlippedByteIsAnError) {
  const std::string bytes = serialize_plan(small_plan());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5A);
    const std::string message = error_of([&] { parse_plan(flipped, "model.plan"); });
    if (i >= planfile::kChecksumOffset) {
      // The checksum field and everything it covers.
      EXPECT_NE(message.find("model.plan: checksum mismatch: the file is corrupt (stored 0x"), std::string::npos)
          << "byte " << i << ": " << message;
    } else {
      // Magic, format version, flags and payload length each have their own check.
      EXPECT_NE(message, "no error") << "byte " << i;
    }
  }
}

TEST(PlanFile, WrongMagicIsNotAPlan) {
  std::string bytes = serialize_plan(small_plan());
  bytes[3] = 'X';
  EXPECT_EQ(error_of([&] { parse_plan(bytes, "model.plan"); }), "model.plan: not a kiln plan (bad magic)");
  EXPECT_EQ(error_of([&] { parse_plan("", "empty.plan"); }), "empty.plan: not a kiln plan (bad magic)");
  EXPECT_EQ(error_of([&] { parse_plan("\x08\x01onnx model", "model.onnx"); }),
            "model.onnx: not a kiln plan (bad magic)");
}

TEST(PlanFile, NewerFormatVersionAsksForARebuild) {
  std::string bytes = serialize_plan(small_plan());
  put_u32(bytes, planfile::kFormatVersionOffset, planfile::kFormatVersion + 1);
  EXPECT_EQ(error_of([&] { parse_plan(bytes, "model.plan"); }),
            "model.plan: plan format " + std::to_string(planfile::kFormatVersion + 1) +
                " is newer than this kiln reads (" + std::to_string(planfile::kFormatVersion) +
                "); rebuild the plan or upgrade kiln");
}

TEST(PlanFile, OutOfRangeValueIndexIsAStructuralError) {
  PlanContents plan = small_plan();
  plan.nodes[1].op.inputs[0] = 99;  // serialize_plan writes a correct checksum, so the index check is what fires
  EXPECT_EQ(parse_error(plan),
            "model.plan: node 1 ('relu') input 0: value index 99 is out of range (the plan has 4 values)");
}

TEST(PlanFile, StructuralErrorsNameTheRecord) {
  struct Case {
    const char* expected;
    std::function<void(PlanContents&)> corrupt;
  };
  const std::vector<Case> cases = {
      {"node 0 ('conv1_relu1') pattern step 1 ('relu1') pattern step 0 ('clip1') input 1: value index 40",
       [](PlanContents& p) { p.nodes[0].op.pattern[1].pattern[0].inputs[1] = 40; }},
      {"node 1 ('swish') plugin: plugin index 2 is out of range (the plan has 2 plugins)",
       [](PlanContents& p) { p.nodes[1].plugin = 2; }},
      {"node 1 ('swish'): stream 2 is out of range", [](PlanContents& p) { p.nodes[1].stream = 2; }},
      {"value 1 ('conv_w') dtype: dtype(99) is not a type a plan can hold",
       [](PlanContents& p) { p.values[1].dtype = 99; }},
      {"value 1 ('conv_w') dtype: string is not a type",
       [](PlanContents& p) { p.values[1].dtype = KILN_DTYPE_STRING; }},
      {"value 0 ('input') dims: dim 1 is -2", [](PlanContents& p) { p.values[0].dims[1] = -2; }},
      {"value 0 ('input') symbols: 3 for 4 dims", [](PlanContents& p) { p.values[0].symbols.pop_back(); }},
      {"value 2 ('q_zero') constant: weight index 7 is out of range",
       [](PlanContents& p) { p.values[2].constant = 7; }},
      {"value 2 ('q_zero'): is int8 but its constant is float16", [](PlanContents& p) { p.values[2].constant = 2; }},
      {"value 9 ('cat'): arena range [1024, +3073) exceeds the host arena (4096 bytes)",
       [](PlanContents& p) { p.values[9].bytes = 3073; }},
      {"value 9 ('cat'): arena offset 1000 is not a multiple of the alignment 64",
       [](PlanContents& p) { p.values[9].arena_offset = 1000; }},
      {"value 11 ('copy_out'): view range [1025, +1024) exceeds 'cat' (2048 bytes)",
       [](PlanContents& p) { p.values[11].view.byte_offset = 1025; }},
      {"value 9 ('cat'): its views form a cycle",
       [](PlanContents& p) {
         p.values[9].placement = PlanPlacement::kView;
         p.values[9].arena_offset = 0;
         p.values[9].bytes = 1024;
         p.values[9].view = {10, 0, {512, 64, 8, 1}};
         p.values[11].view.byte_offset = 0;
       }},
      {"value 8 ('conv_out'): a graph input, output or constant must be placed external",
       [](PlanContents& p) { p.values[8].is_graph_output = true; }},
      {"weight 4 byte size: 8 bytes stored but bool data of these dims takes 7",
       [](PlanContents& p) { p.weights[4].data.push_back(0); }},
      {"weight 5 dims: dim 0 is -1", [](PlanContents& p) { p.weights[5].dims[0] = -1; }},
      {"node 0 ('conv1_relu1') attribute 'value' tensor byte size: 5 bytes stored but int16",
       [](PlanContents& p) { p.nodes[0].op.attributes["value"].tensor.data.resize(5); }},
      {"node 0 ('conv1_relu1') attribute 'body' kind: 0 is not an attribute kind",
       [](PlanContents& p) { p.nodes[0].op.attributes["body"].kind = KILN_ATTR_NONE; }},
      {"schedule wait 1: node 3 waits for node 3, which does not run before it",
       [](PlanContents& p) { p.schedule.waits[1].waits_for = 3; }},
      {"schedule wait 0 layer: node index 5 is out of range", [](PlanContents& p) { p.schedule.waits[0].layer = 5; }},
      {"memory alignment: 48 is not a power of two", [](PlanContents& p) { p.memory.alignment = 48; }},
      {"profile input 0: dim 0 needs 0 <= min <= opt <= max, got 1, 32, 16",
       [](PlanContents& p) { p.profile[0].opt[0] = 32; }},
      {"profile input 0: 'conv_w' is not a graph input", [](PlanContents& p) { p.profile[0].value = 1; }},
  };
  for (const Case& c : cases) {
    PlanContents plan = rich_plan();
    c.corrupt(plan);
    const std::string message = parse_error(plan);
    EXPECT_NE(message.find(std::string("model.plan: ") + c.expected), std::string::npos)
        << "expected: " << c.expected << "\n     got: " << message;
  }
}

TEST(PlanFile, DeeplyNestedPatternsAreRefused) {
  PlanContents plan = small_plan();
  PlanOp op_chain = op("leaf", "Relu", {}, {});
  for (int depth = 0; depth <= planfile::kMaxPatternDepth; ++depth) {
    PlanOp outer = op("level" + std::to_string(depth), "Fused", {}, {});
    outer.pattern = {op_chain};
    op_chain = outer;
  }
  plan.nodes[1].op.pattern = {op_chain};
  EXPECT_NE(parse_error(plan).find("fused patterns nest deeper than"), std::string::npos);
}

TEST(PlanFile, HugeCountsAreRefusedBeforeAllocating) {
  std::string bytes = serialize_plan(small_plan());
  // The value count (first u32 of the VALU section's contents) claims four billion values.
  const size_t values_tag = bytes.find("VALU");
  ASSERT_NE(values_tag, std::string::npos);
  put_u32(bytes, values_tag + planfile::kSectionFrameBytes, 0xFFFFFFFFu);
  const std::string message = error_of([&] { planfile::parse_plan(bytes, "model.plan", {false}); });
  EXPECT_NE(message.find("model.plan: truncated: value count needs at least 171798691800 bytes at offset"),
            std::string::npos)
      << message;
}

TEST(PlanFile, MissingFileIsAnError) {
  EXPECT_NE(error_of([] { read_plan_file("/nonexistent/model.plan"); }).find("/nonexistent/model.plan: cannot open"),
            std::string::npos);
  EXPECT_THROW(write_plan_file(small_plan(), "/nonexistent/dir/model.plan"), Error);
}

// The fuzzer's seed corpus must stay valid plans as the format evolves. With KILN_WRITE_PLAN_CORPUS=DIR set, this
// test (re)writes the seeds into DIR first: KILN_WRITE_PLAN_CORPUS=$PWD/tests/fuzz/corpus/plan.
TEST(PlanFile, FuzzSeedCorpusParses) {
  if (const char* dir = std::getenv("KILN_WRITE_PLAN_CORPUS")) {
    PlanContents empty;
    empty.kiln_version = "0.1.0";
    write_plan_file(empty, std::string(dir) + "/empty.plan");
    write_plan_file(small_plan(), std::string(dir) + "/small.plan");
    write_plan_file(rich_plan(), std::string(dir) + "/rich.plan");
  }
  const std::filesystem::path corpus = std::filesystem::path(KILN_SOURCE_DIR) / "tests/fuzz/corpus/plan";
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    SCOPED_TRACE(entry.path().string());
    EXPECT_LT(entry.file_size(), 8192u);  // small seeds keep the fuzzer fast
    EXPECT_NO_THROW(read_plan_file(entry.path().string()));
    ++seeds;
  }
  EXPECT_GE(seeds, 3);
}

}  // namespace
}  // namespace kiln
