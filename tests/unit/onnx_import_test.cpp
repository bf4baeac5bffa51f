// ONNX import: models built with the protobuf API, malformed files, external data confinement, shape inference,
// and every model of the ONNX backend test data.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <set>

#include "onnx/onnx_import.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kiln {
namespace {

// ---------------------------------------------------------------------------------------------------------
// Model building

onnx::ValueInfoProto* add_value_info(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list,
                                     const std::string& name, int elem_type, const std::vector<std::string>& dims) {
  onnx::ValueInfoProto* info = list->Add();
  info->set_name(name);
  auto* tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(elem_type);
  auto* shape = tensor->mutable_shape();
  for (const std::string& d : dims) {
    if (d.empty()) shape->add_dim();
    else if (std::isdigit(static_cast<unsigned char>(d[0]))) shape->add_dim()->set_dim_value(std::stoll(d));
    else shape->add_dim()->set_dim_param(d);
  }
  return info;
}

void add_input(onnx::GraphProto& g, const std::string& name, int elem_type, const std::vector<std::string>& dims) {
  add_value_info(g.mutable_input(), name, elem_type, dims);
}

void add_output(onnx::GraphProto& g, const std::string& name, int elem_type) {
  onnx::ValueInfoProto* info = g.add_output();
  info->set_name(name);
  info->mutable_type()->mutable_tensor_type()->set_elem_type(elem_type);  // no shape: left to inference
}

onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op_type, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const std::string& name = "") {
  onnx::NodeProto* node = g.add_node();
  node->set_op_type(op_type);
  node->set_name(name);
  for (const std::string& in : inputs) node->add_input(in);
  for (const std::string& out : outputs) node->add_output(out);
  return node;
}

void add_ints(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

onnx::TensorProto* add_float_initializer(onnx::GraphProto& g, const std::string& name, const std::vector<int64_t>& dims,
                                         const std::vector<float>& values, bool raw) {
  onnx::TensorProto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  if (raw) t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  else
    for (float v : values) t->add_float_data(v);
  return t;
}

onnx::ModelProto empty_model(int opset = 13, int ir_version = 8) {
  onnx::ModelProto model;
  model.set_ir_version(ir_version);
  onnx::OperatorSetIdProto* opset_id = model.add_opset_import();
  opset_id->set_domain("");
  opset_id->set_version(opset);
  model.mutable_graph()->set_name("test");
  return model;
}

std::vector<float> ramp(size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * (static_cast<float>(i) - static_cast<float>(n) / 2);
  return v;
}

// x: float[N,3,5,5] -> Conv(W raw_data, B float_data; 3x3, pads 1, strides 1) -> c -> Relu (unnamed) -> y.
// Neither c nor y declares a shape: they are ONNX shape inference's to fill.
onnx::ModelProto conv_relu_model() {
  onnx::ModelProto model = empty_model(13);
  onnx::GraphProto& g = *model.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {"N", "3", "5", "5"});
  add_float_initializer(g, "W", {4, 3, 3, 3}, ramp(4 * 3 * 3 * 3, 0.01f), /*raw=*/true);
  add_float_initializer(g, "B", {4}, {0.5f, -0.25f, 1.0f, 2.0f}, /*raw=*/false);
  onnx::NodeProto* conv = add_node(g, "Conv", {"x", "W", "B"}, {"c"}, "conv1");
  add_ints(conv, "kernel_shape", {3, 3});
  add_ints(conv, "pads", {1, 1, 1, 1});
  add_ints(conv, "strides", {1, 1});
  add_node(g, "Relu", {"c"}, {"y"});
  add_output(g, "y", onnx::TensorProto::FLOAT);
  return model;
}

// ---------------------------------------------------------------------------------------------------------
// Files and error checks

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(testing::TempDir()) / ("kiln_onnx_import_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

fs::path save_model(const onnx::ModelProto& model, const fs::path& dir, const std::string& name = "model.onnx") {
  const fs::path path = dir / name;
  write_file(path, model.SerializeAsString());
  return path;
}

// Runs `run_import`, expecting an exception of type E whose message holds every one of `parts`.
template <class E = Error>
void expect_error(const std::function<void()>& run_import, const std::vector<std::string>& parts) {
  try {
    run_import();
    ADD_FAILURE() << "no error; expected one mentioning '" << parts.front() << "'";
  } catch (const E& e) {
    for (const std::string& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

std::unique_ptr<Graph> import_model(const onnx::ModelProto& model, const std::string& dir = "/nonexistent") {
  return import_onnx_model(model, dir, "test.onnx");
}

// ---------------------------------------------------------------------------------------------------------
// A well-formed model

TEST(OnnxImport, ConvReluGetsTypesShapesAttributesAndOpset) {
  const fs::path dir = fresh_dir("conv_relu");
  const std::unique_ptr<Graph> graph = import_onnx_file(save_model(conv_relu_model(), dir).string());
  EXPECT_EQ(graph->opsets.at(""), 13);
  ASSERT_EQ(graph->inputs().size(), 1u);
  const Value& x = *graph->inputs()[0];
  EXPECT_EQ(x.name, "x");
  EXPECT_EQ(x.dtype, KILN_DTYPE_FLOAT32);
  EXPECT_EQ(x.dims, (std::vector<int64_t>{-1, 3, 5, 5}));
  EXPECT_EQ(x.symbols[0], "N");

  const Value& w = *graph->find_value("W");
  ASSERT_TRUE(w.constant.has_value());
  EXPECT_EQ(w.constant->dims(), (std::vector<int64_t>{4, 3, 3, 3}));
  const std::vector<float> expected_w = ramp(108, 0.01f);
  for (size_t i = 0; i < expected_w.size(); ++i) ASSERT_EQ(w.constant->as<float>()[i], expected_w[i]) << i;
  const Value& b = *graph->find_value("B");
  EXPECT_EQ(b.dims, (std::vector<int64_t>{4}));
  EXPECT_EQ(b.constant->as<float>()[1], -0.25f);

  ASSERT_EQ(graph->nodes().size(), 2u);
  const Node& conv = *graph->nodes()[0];
  EXPECT_EQ(conv.name, "conv1");
  EXPECT_EQ(conv.op_type, "Conv");
  EXPECT_EQ(conv.domain, "");
  EXPECT_EQ(conv.opset, 13);
  ASSERT_NE(conv.attribute("pads"), nullptr);
  EXPECT_EQ(conv.attribute("pads")->kind, KILN_ATTR_INTS);
  EXPECT_EQ(conv.attribute("pads")->ints, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(conv.inputs[1], &w);
  EXPECT_EQ(w.consumers, std::vector<Node*>{graph->nodes()[0].get()});
  EXPECT_EQ(graph->nodes()[1]->name, "Relu_1");

  // Filled by ONNX shape inference, the batch symbol carried through.
  for (const char* name : {"c", "y"}) {
    const Value& v = *graph->find_value(name);
    EXPECT_EQ(v.dtype, KILN_DTYPE_FLOAT32) << name;
    EXPECT_EQ(v.dims, (std::vector<int64_t>{-1, 4, 5, 5})) << name;
    EXPECT_EQ(v.symbols[0], "N") << name;
  }
  ASSERT_EQ(graph->outputs().size(), 1u);
  EXPECT_TRUE(graph->outputs()[0]->is_graph_output);
}

TEST(OnnxImport, ParsesModelsOverProtobufsDefault64MiBLimit) {
  onnx::ModelProto model = conv_relu_model();
  onnx::GraphProto& g = *model.mutable_graph();
  const int64_t elements = 18 * 1024 * 1024;  // 72 MiB of float32
  onnx::TensorProto* big = g.add_initializer();
  big->set_name("big");
  big->set_data_type(onnx::TensorProto::FLOAT);
  big->add_dims(elements);
  std::string raw(static_cast<size_t>(elements) * 4, '\0');
  const float last = 42.5f;
  std::memcpy(&raw[raw.size() - 4], &last, 4);
  big->set_raw_data(std::move(raw));
  const fs::path dir = fresh_dir("big");
  const fs::path path = save_model(model, dir);
  model.Clear();
  const std::unique_ptr<Graph> graph = import_onnx_file(path.string());
  const Tensor& t = *graph->find_value("big")->constant;
  EXPECT_EQ(t.numel(), elements);
  EXPECT_EQ(t.as<float>()[elements - 1], last);
  fs::remove_all(dir);
}

TEST(OnnxImport, NamesUnnamedNodesUniquely) {
  onnx::ModelProto model = empty_model();
  onnx::GraphProto& g = *model.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {"2"});
  add_node(g, "Relu", {"x"}, {"a"});               // "Relu_0" is some node's own name: "Relu_0_1"
  add_node(g, "Relu", {"a"}, {"b"}, "Relu_2");     // explicit
  add_node(g, "Relu", {"b"}, {"c"});               // "Relu_2" is taken: "Relu_2_1"
  add_node(g, "Relu", {"c"}, {"d"}, "Relu_0");     // explicit
  add_node(g, "Neg", {"d"}, {"e"}, "Relu_0");      // explicit, but a duplicate: "Relu_0_2"
  add_node(g, "Relu", {"e"}, {"f"});               // "Relu_5"
  add_output(g, "f", onnx::TensorProto::FLOAT);
  const std::unique_ptr<Graph> graph = import_model(model);
  std::vector<std::string> names;
  for (const auto& node : graph->nodes()) names.push_back(node->name);
  EXPECT_EQ(names, (std::vector<std::string>{"Relu_0_1", "Relu_2", "Relu_2_1", "Relu_0", "Relu_0_2", "Relu_5"}));
}

TEST(OnnxImport, OmittedOptionalInputsAndOutputsAreNull) {
  onnx::ModelProto model = empty_model();
  onnx::GraphProto& g = *model.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {"2", "3"});
  add_node(g, "Clip", {"x", "", "hi"}, {"y"});
  add_float_initializer(g, "hi", {}, {1.5f}, false);
  add_node(g, "Dropout", {"y"}, {"z", ""});
  add_output(g, "z", onnx::TensorProto::FLOAT);
  const std::unique_ptr<Graph> graph = import_model(model);
  const Node& clip = *graph->nodes()[0];
  ASSERT_EQ(clip.inputs.size(), 3u);
  EXPECT_EQ(clip.inputs[1], nullptr);
  EXPECT_EQ(clip.inputs[2]->constant->as<float>()[0], 1.5f);
  ASSERT_EQ(graph->nodes()[1]->outputs.size(), 2u);
  EXPECT_EQ(graph->nodes()[1]->outputs[1], nullptr);
}

TEST(OnnxImport, InputWithAnInitializerIsAConstantNotARuntimeInput) {
  onnx::ModelProto model = empty_model(9, 3);  // IR 3 lists initializers among the inputs
  onnx::GraphProto& g = *model.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {"3"});
  add_input(g, "bias", onnx::TensorProto::FLOAT, {"3"});
  add_float_initializer(g, "bias", {3}, {1, 2, 3}, false);
  add_node(g, "Add", {"x", "bias"}, {"y"});
  add_output(g, "y", onnx::TensorProto::FLOAT);
  const std::unique_ptr<Graph> graph = import_model(model);
  ASSERT_EQ(graph->inputs().size(), 1u);
  EXPECT_EQ(graph->inputs()[0]->name, "x");
  const Value& bias = *graph->find_value("bias");
  EXPECT_FALSE(bias.is_graph_input);
  EXPECT_EQ(bias.constant->as<float>()[2], 3.0f);
  EXPECT_EQ(graph->find_value("y")->dims, (std::vector<int64_t>{3}));
}

TEST(OnnxImport, OtherDomainsAreImportedAsIsAndDoNotCrashShapeInference) {
  // libonnx 1.12's Shape-15 data propagator dereferences the missing type of an unknown op's output; the
  // importer must keep it from crashing.
  onnx::ModelProto model = empty_model(15);
  onnx::OperatorSetIdProto* custom = model.add_opset_import();
  custom->set_domain("com.example");
  custom->set_version(3);
  onnx::GraphProto& g = *model.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {"2", "3"});
  add_node(g, "Frobnicate", {"x"}, {"f"})->set_domain("com.example");
  add_node(g, "Shape", {"f"}, {"s"});
  add_node(g, "Reshape", {"x", "s"}, {"y"});
  add_output(g, "y", onnx::TensorProto::FLOAT);
  const std::unique_ptr<Graph> graph = import_model(model);
  const Node& custom_node = *graph->nodes()[0];
  EXPECT_EQ(custom_node.domain, "com.example");
  EXPECT_EQ(custom_node.opset, 3);
  EXPECT_EQ(custom_node.name, "Frobnicate_0");
  EXPECT_EQ(graph->opsets.at("com.example"), 3);
  EXPECT_FALSE(graph->find_value("f")->has_shape);
}

TEST(OnnxImport, AiOnnxDomainIsTheDefaultDomain) {
  onnx::ModelProto model = empty_model(13);
  model.mutable_opset_import(0)->set_domain("ai.onnx");
  onnx::GraphProto& g = *model.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {"2"});
  add_node(g, "Relu", {"x"}, {"y"})->set_domain("ai.onnx");
  add_output(g, "y", onnx::TensorProto::FLOAT);
  const std::unique_ptr<Graph> graph = import_model(model);
  EXPECT_EQ(graph->opsets.at(""), 13);
  EXPECT_EQ(graph->nodes()[0]->domain, "");
  EXPECT_EQ(graph->find_value("y")->dims, (std::vector<int64_t>{2}));
}

TEST(OnnxImport, ReadsEveryAttributeKind) {
  onnx::ModelProto model = empty_model(13);
  onnx::GraphProto& g = *model.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {"2"});
  add_input(g, "cond", onnx::TensorProto::BOOL, {});
  onnx::NodeProto* node = add_node(g, "Custom", {"x"}, {"y"});
  node->set_domain("com.example");
  auto add = [&](const std::string& name, onnx::AttributeProto::AttributeType type) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
  };
  add("f", onnx::AttributeProto::FLOAT)->set_f(0.25f);
  add("i", onnx::AttributeProto::INT)->set_i(-7);
  add("s", onnx::AttributeProto::STRING)->set_s("nearest");
  onnx::TensorProto* t = add("t", onnx::AttributeProto::TENSOR)->mutable_t();
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(2);
  t->add_int64_data(5);
  t->add_int64_data(-6);
  add("floats", onnx::AttributeProto::FLOATS)->add_floats(1.5f);
  add("strings", onnx::AttributeProto::STRINGS)->add_strings("a");
  onnx::AttributeProto* untyped = node->add_attribute();  // IR version 1 style: no type, the field says it
  untyped->set_name("legacy");
  untyped->add_ints(4);
  onnx::TensorProto* text = add("text", onnx::AttributeProto::TENSOR)->mutable_t();
  text->set_data_type(onnx::TensorProto::STRING);
  text->add_string_data("hello");
  model.add_opset_import()->set_domain("com.example");
  model.mutable_opset_import(1)->set_version(1);
  add_output(g, "y", onnx::TensorProto::FLOAT);

  // An If with subgraphs: kept, kind GRAPH.
  node = add_node(g, "If", {"cond"}, {"z"});
  for (const char* name : {"then_branch", "else_branch"}) {
    onnx::GraphProto* body = add(name, onnx::AttributeProto::GRAPH)->mutable_g();
    add_node(*body, "Identity", {"x"}, {"out"});
    add_output(*body, "out", onnx::TensorProto::FLOAT);
  }
  add_output(g, "z", onnx::TensorProto::FLOAT);

  const std::unique_ptr<Graph> graph = import_model(model);
  const Node& custom = *graph->nodes()[0];
  EXPECT_EQ(custom.attribute("f")->f, 0.25f);
  EXPECT_EQ(custom.attribute("i")->i, -7);
  EXPECT_EQ(custom.attribute("s")->s, "nearest");
  EXPECT_EQ(custom.attribute("t")->kind, KILN_ATTR_TENSOR);
  EXPECT_EQ(custom.attribute("t")->tensor.int_values(), (std::vector<int64_t>{5, -6}));
  EXPECT_EQ(custom.attribute("floats")->floats, std::vector<float>{1.5f});
  EXPECT_EQ(custom.attribute("strings")->strings, std::vector<std::string>{"a"});
  EXPECT_EQ(custom.attribute("legacy")->kind, KILN_ATTR_INTS);
  EXPECT_EQ(custom.attribute("legacy")->ints, std::vector<int64_t>{4});
  EXPECT_EQ(custom.attribute("text")->kind, KILN_ATTR_GRAPH);  // present, not readable: strings
  const Node& if_node = *graph->nodes()[1];
  EXPECT_EQ(if_node.attribute("then_branch")->kind, KILN_ATTR_GRAPH);
  EXPECT_EQ(if_node.attribute("else_branch")->kind, KILN_ATTR_GRAPH);
}

TEST(OnnxImport, DoesNotTakeLibonnxShapesItGetsWrong) {
  // ONNX: MaxPool(kernel 1, stride 2, ceil_mode) on 2x2 gives 1x1, since a window may not start in the padding;
  // libonnx 1.12 says 2x2. Such a shape is better unknown than wrong.
  onnx::ModelProto model = empty_model(12);
  onnx::GraphProto& g = *model.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {"1", "1", "2", "2"});
  onnx::NodeProto* pool = add_node(g, "MaxPool", {"x"}, {"p"});
  add_ints(pool, "kernel_shape", {1, 1});
  add_ints(pool, "strides", {2, 2});
  onnx::AttributeProto* ceil = pool->add_attribute();
  ceil->set_name("ceil_mode");
  ceil->set_type(onnx::AttributeProto::INT);
  ceil->set_i(1);
  add_node(g, "Relu", {"p"}, {"y"});
  add_output(g, "y", onnx::TensorProto::FLOAT);
  const std::unique_ptr<Graph> graph = import_model(model);
  EXPECT_FALSE(graph->find_value("p")->has_shape);

  // ReduceMean-18 takes its axes as an input, which 1.12's ReduceMean-13 rules would ignore (reducing all).
  onnx::ModelProto reduce = empty_model(18);
  onnx::GraphProto& r = *reduce.mutable_graph();
  add_input(r, "x", onnx::TensorProto::FLOAT, {"2", "3", "4"});
  onnx::TensorProto* axes = r.add_initializer();
  axes->set_name("axes");
  axes->set_data_type(onnx::TensorProto::INT64);
  axes->add_dims(1);
  axes->add_int64_data(1);
  add_node(r, "ReduceMean", {"x", "axes"}, {"m"});
  add_node(r, "Relu", {"m"}, {"y"});
  add_output(r, "y", onnx::TensorProto::FLOAT);
  const std::unique_ptr<Graph> reduced = import_model(reduce);
  const Value& m = *reduced->find_value("m");
  EXPECT_TRUE(!m.has_shape || m.dims == (std::vector<int64_t>{2, 1, 4})) << m.describe();
}

// ---------------------------------------------------------------------------------------------------------
// Malformed files and models

TEST(OnnxImport, RejectsATruncatedFileAtEveryLength) {
  const std::string bytes = conv_relu_model().SerializeAsString();
  const fs::path dir = fresh_dir("truncated");
  const fs::path path = dir / "model.onnx";
  for (size_t length = 0; length < bytes.size(); ++length) {
    write_file(path, bytes.substr(0, length));
    EXPECT_THROW(import_onnx_file(path.string()), Error) << length << " of " << bytes.size() << " bytes";
  }
  write_file(path, bytes.substr(0, bytes.size() / 2));
  expect_error([&] { import_onnx_file(path.string()); }, {path.string(), "not a valid ONNX model"});
}

TEST(OnnxImport, RejectsRandomBytes) {
  const fs::path path = fresh_dir("random") / "model.onnx";
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 200; ++trial) {
    std::string bytes(1 + rng() % 4096, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    write_file(path, bytes);
    EXPECT_THROW(import_onnx_file(path.string()), Error) << "trial " << trial;
  }
  write_file(path, "this is not an ONNX model, just text\n");
  expect_error([&] { import_onnx_file(path.string()); }, {path.string(), "not a valid ONNX model"});
}

TEST(OnnxImport, RejectsMissingFilesAndFolders) {
  const fs::path dir = fresh_dir("missing");
  expect_error([&] { import_onnx_file((dir / "nope.onnx").string()); }, {"nope.onnx", "cannot open"});
  expect_error([&] { import_onnx_file(dir.string()); }, {dir.string(), "not a regular file"});
}

TEST(OnnxImport, RejectsModelsWithoutGraphOrIrVersionOrWithTooNewAnOpset) {
  onnx::ModelProto no_graph = conv_relu_model();
  no_graph.clear_graph();
  expect_error([&] { import_model(no_graph); }, {"test.onnx", "no graph"});
  onnx::ModelProto no_ir = conv_relu_model();
  no_ir.set_ir_version(0);
  expect_error([&] { import_model(no_ir); }, {"test.onnx", "ir_version"});
  onnx::ModelProto no_opsets = conv_relu_model();
  no_opsets.clear_opset_import();
  expect_error([&] { import_model(no_opsets); }, {"no opset_import"});
  onnx::ModelProto too_new = conv_relu_model();
  too_new.mutable_opset_import(0)->set_version(24);
  expect_error<Unsupported>([&] { import_model(too_new); }, {"opset 24", "newer than kiln supports"});
}

TEST(OnnxImport, RejectsAnInitializerWhoseDataDisagreesWithItsDims) {
  onnx::ModelProto raw = conv_relu_model();
  raw.mutable_graph()->mutable_initializer(0)->mutable_raw_data()->resize(100);
  expect_error([&] { import_model(raw); }, {"initializer 'W'", "[4,3,3,3]", "100 bytes", "432 bytes"});
  onnx::ModelProto typed = conv_relu_model();
  typed.mutable_graph()->mutable_initializer(1)->add_float_data(9);
  expect_error([&] { import_model(typed); }, {"initializer 'B'", "[4]", "5 values in float_data", "need 4"});
  onnx::ModelProto huge = conv_relu_model();
  huge.mutable_graph()->mutable_initializer(1)->set_dims(0, int64_t{1} << 62);
  expect_error([&] { import_model(huge); }, {"initializer 'B'", "impossibly large"});
  onnx::ModelProto negative = conv_relu_model();
  negative.mutable_graph()->mutable_initializer(1)->set_dims(0, -4);
  expect_error([&] { import_model(negative); }, {"initializer 'B'", "negative dimension"});
}

TEST(OnnxImport, RejectsStringAndSparseInitializers) {
  onnx::ModelProto strings = conv_relu_model();
  onnx::TensorProto* words = strings.mutable_graph()->add_initializer();
  words->set_name("words");
  words->set_data_type(onnx::TensorProto::STRING);
  words->add_dims(1);
  words->add_string_data("hi");
  expect_error<Unsupported>([&] { import_model(strings); },
                            {"initializer 'words'", "string tensors are not supported"});
  onnx::ModelProto sparse = conv_relu_model();
  onnx::SparseTensorProto* s = sparse.mutable_graph()->add_sparse_initializer();
  s->mutable_values()->set_name("sparse_w");
  s->add_dims(4);
  expect_error<Unsupported>([&] { import_model(sparse); }, {"sparse initializers are not supported", "sparse_w"});
}

TEST(OnnxImport, RejectsAGraphCycle) {
  onnx::ModelProto model = empty_model();
  onnx::GraphProto& g = *model.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {"2"});
  add_node(g, "Add", {"x", "b"}, {"a"}, "first");
  add_node(g, "Relu", {"a"}, {"b"}, "second");
  add_node(g, "Relu", {"a"}, {"y"}, "third");
  add_output(g, "y", onnx::TensorProto::FLOAT);
  expect_error([&] { import_model(model); }, {"test.onnx", "cycle"});
}

TEST(OnnxImport, RejectsANodeInputThatNothingDefines) {
  onnx::ModelProto model = conv_relu_model();
  model.mutable_graph()->mutable_node(1)->add_input("ghost");
  expect_error([&] { import_model(model); }, {"node 'Relu_1' (Relu)", "input 1 'ghost'", "is not a graph input"});
}

TEST(OnnxImport, RejectsDuplicateOutputsAndRedefinitions) {
  onnx::ModelProto twice = conv_relu_model();
  add_node(*twice.mutable_graph(), "Neg", {"x"}, {"c"}, "again");
  expect_error([&] { import_model(twice); }, {"node 'again' (Neg)", "output 'c'", "node 'conv1' (Conv)"});
  onnx::ModelProto same_node = conv_relu_model();
  same_node.mutable_graph()->mutable_node(1)->add_output("y");
  expect_error([&] { import_model(same_node); }, {"node 'Relu_1' (Relu)", "output 'y'"});
  onnx::ModelProto over_weight = conv_relu_model();
  add_node(*over_weight.mutable_graph(), "Neg", {"x"}, {"W"});
  expect_error([&] { import_model(over_weight); }, {"output 'W'", "an initializer"});
  onnx::ModelProto unproduced = conv_relu_model();
  add_output(*unproduced.mutable_graph(), "nowhere", onnx::TensorProto::FLOAT);
  expect_error([&] { import_model(unproduced); }, {"graph output 'nowhere'", "not produced"});
}

TEST(OnnxImport, RejectsAttributeReferencesOutsideFunctions) {
  onnx::ModelProto model = conv_relu_model();
  onnx::AttributeProto* a = model.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("group");
  a->set_type(onnx::AttributeProto::INT);
  a->set_ref_attr_name("g");
  expect_error([&] { import_model(model); }, {"node 'conv1' (Conv) attribute 'group'", "ref_attr_name"});
}

TEST(OnnxImport, RejectsNodesOfDomainsMissingFromOpsetImport) {
  onnx::ModelProto model = conv_relu_model();
  model.mutable_graph()->mutable_node(1)->set_domain("com.unknown");
  expect_error([&] { import_model(model); }, {"node 'Relu_1' (Relu)", "'com.unknown'", "opset_import"});
}

// ---------------------------------------------------------------------------------------------------------
// Element types

template <class T>
std::string raw_bytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

template <class T>
void expect_tensor(const Tensor& t, DataType dtype, const std::vector<T>& expected) {
  ASSERT_EQ(t.dtype(), dtype);
  ASSERT_EQ(t.numel(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(t.as<T>()[i], expected[i]) << dtype_name(dtype) << " " << i;
}

onnx::TensorProto proto_of(int data_type, std::vector<int64_t> dims) {
  onnx::TensorProto p;
  p.set_name("t");
  p.set_data_type(data_type);
  for (int64_t d : dims) p.add_dims(d);
  return p;
}

// A 1-D tensor of `type` whose values are in the typed field that `add` appends to.
template <class Field>
Tensor from_typed_field(int type, void (onnx::TensorProto::*add)(Field), const std::vector<Field>& values) {
  onnx::TensorProto p = proto_of(type, {static_cast<int64_t>(values.size())});
  for (Field v : values) (p.*add)(v);
  return tensor_from_proto(p, "", "t");
}

TEST(OnnxImport, ReadsEveryNumericTypeFromTypedFields) {
  using P = onnx::TensorProto;
  expect_tensor<float>(from_typed_field(P::FLOAT, &P::add_float_data, {1.5f, -2.f, 3.25f}), KILN_DTYPE_FLOAT32,
                       {1.5f, -2.f, 3.25f});
  expect_tensor<double>(from_typed_field(P::DOUBLE, &P::add_double_data, {1e300, -2.0, 0.1}), KILN_DTYPE_FLOAT64,
                        {1e300, -2.0, 0.1});
  expect_tensor<int64_t>(from_typed_field(P::INT64, &P::add_int64_data, {INT64_MIN, 0, INT64_MAX}), KILN_DTYPE_INT64,
                         {INT64_MIN, 0, INT64_MAX});
  expect_tensor<uint64_t>(from_typed_field(P::UINT64, &P::add_uint64_data, {0, UINT64_MAX, 9}), KILN_DTYPE_UINT64,
                          {0, UINT64_MAX, 9});
  // uint32 lives in uint64_data; narrow integers, bool and 16-bit float bit patterns in int32_data.
  expect_tensor<uint32_t>(from_typed_field(P::UINT32, &P::add_uint64_data, {0, 7, 4294967295u}), KILN_DTYPE_UINT32,
                          {0, 7, 4294967295u});
  expect_tensor<int32_t>(from_typed_field(P::INT32, &P::add_int32_data, {-5, 0, 7}), KILN_DTYPE_INT32, {-5, 0, 7});
  expect_tensor<int16_t>(from_typed_field(P::INT16, &P::add_int32_data, {-32768, 1, 32767}), KILN_DTYPE_INT16,
                         {-32768, 1, 32767});
  expect_tensor<int8_t>(from_typed_field(P::INT8, &P::add_int32_data, {-128, 1, 127}), KILN_DTYPE_INT8,
                        {-128, 1, 127});
  expect_tensor<uint8_t>(from_typed_field(P::UINT8, &P::add_int32_data, {0, 128, 255}), KILN_DTYPE_UINT8,
                         {0, 128, 255});
  expect_tensor<uint16_t>(from_typed_field(P::UINT16, &P::add_int32_data, {0, 40000, 65535}), KILN_DTYPE_UINT16,
                          {0, 40000, 65535});
  // 0x3C00 is 1.0 in float16, 0x3F80 is 1.0 in bfloat16.
  expect_tensor<uint16_t>(from_typed_field(P::FLOAT16, &P::add_int32_data, {0x3C00, 0xC000, 0x7BFF}),
                          KILN_DTYPE_FLOAT16, {0x3C00, 0xC000, 0x7BFF});
  expect_tensor<uint16_t>(from_typed_field(P::BFLOAT16, &P::add_int32_data, {0x3F80, 0xBF80, 0}), KILN_DTYPE_BFLOAT16,
                          {0x3F80, 0xBF80, 0});
  expect_tensor<bool>(from_typed_field(P::BOOL, &P::add_int32_data, {1, 0, 1}), KILN_DTYPE_BOOL, {true, false, true});
}

TEST(OnnxImport, ReadsRawDataOfEveryNumericType) {
  auto raw = [](int type, const std::string& bytes) {
    onnx::TensorProto p = proto_of(type, {2});
    p.set_raw_data(bytes);
    return tensor_from_proto(p, "", "t");
  };
  expect_tensor<float>(raw(1, raw_bytes<float>({0.5f, -8.f})), KILN_DTYPE_FLOAT32, {0.5f, -8.f});
  expect_tensor<double>(raw(11, raw_bytes<double>({0.5, -8e-300})), KILN_DTYPE_FLOAT64, {0.5, -8e-300});
  expect_tensor<int64_t>(raw(7, raw_bytes<int64_t>({-1, INT64_MAX})), KILN_DTYPE_INT64, {-1, INT64_MAX});
  expect_tensor<int32_t>(raw(6, raw_bytes<int32_t>({-1, 65536})), KILN_DTYPE_INT32, {-1, 65536});
  expect_tensor<int16_t>(raw(5, raw_bytes<int16_t>({-2, 300})), KILN_DTYPE_INT16, {-2, 300});
  expect_tensor<int8_t>(raw(3, raw_bytes<int8_t>({-3, 100})), KILN_DTYPE_INT8, {-3, 100});
  expect_tensor<uint8_t>(raw(2, raw_bytes<uint8_t>({200, 1})), KILN_DTYPE_UINT8, {200, 1});
  expect_tensor<uint16_t>(raw(4, raw_bytes<uint16_t>({60000, 1})), KILN_DTYPE_UINT16, {60000, 1});
  expect_tensor<uint16_t>(raw(10, raw_bytes<uint16_t>({0x3C00, 0x8001})), KILN_DTYPE_FLOAT16, {0x3C00, 0x8001});
  expect_tensor<uint16_t>(raw(16, raw_bytes<uint16_t>({0x3F80, 0x7F80})), KILN_DTYPE_BFLOAT16, {0x3F80, 0x7F80});
  expect_tensor<uint32_t>(raw(12, raw_bytes<uint32_t>({4000000000u, 3u})), KILN_DTYPE_UINT32, {4000000000u, 3u});
  expect_tensor<uint64_t>(raw(13, raw_bytes<uint64_t>({UINT64_MAX, 3u})), KILN_DTYPE_UINT64, {UINT64_MAX, 3u});
  // A bool byte other than 0/1 is read as true, never kept as an invalid bool.
  const Tensor flags = raw(9, std::string("\x00\x07", 2));
  EXPECT_EQ(static_cast<const uint8_t*>(flags.data())[1], 1);
}

TEST(OnnxImport, RefusesElementTypesKilnCannotHold) {
  for (int type : {8, 14, 15, 17, 21, 23, 99}) {
    onnx::TensorProto p = proto_of(type, {1});
    EXPECT_THROW(tensor_from_proto(p, "", "t"), Unsupported) << type;
  }
  onnx::TensorProto fp8 = proto_of(17, {1});
  expect_error<Unsupported>([&] { tensor_from_proto(fp8, "", "initializer 'q'"); },
                            {"initializer 'q'", "FLOAT8E4M3FN"});
}

// ---------------------------------------------------------------------------------------------------------
// External data

// A model whose initializer W (float[2,3]) lives at `location`, `offset` bytes into the file.
onnx::ModelProto external_model(const std::string& location, int64_t offset) {
  onnx::ModelProto model = empty_model();
  onnx::GraphProto& g = *model.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {"2", "3"});
  onnx::TensorProto* w = g.add_initializer();
  w->set_name("W");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(2);
  w->add_dims(3);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto entry = [&](const std::string& key, const std::string& value) {
    onnx::StringStringEntryProto* e = w->add_external_data();
    e->set_key(key);
    e->set_value(value);
  };
  entry("location", location);
  entry("offset", std::to_string(offset));
  entry("length", "24");
  add_node(g, "Add", {"x", "W"}, {"y"});
  add_output(g, "y", onnx::TensorProto::FLOAT);
  return model;
}

const std::vector<float> kExternalWeights = {1.5f, -2.f, 3.f, 4.25f, 0.f, -6.f};

TEST(OnnxImport, LoadsExternalDataFromTheModelsFolder) {
  const fs::path dir = fresh_dir("external_ok");
  fs::create_directories(dir / "weights");
  write_file(dir / "weights" / "w.bin", std::string(16, 'x') + raw_bytes(kExternalWeights));
  const std::unique_ptr<Graph> graph =
      import_onnx_file(save_model(external_model("weights/../weights/w.bin", 16), dir).string());
  expect_tensor<float>(*graph->find_value("W")->constant, KILN_DTYPE_FLOAT32, kExternalWeights);
}

TEST(OnnxImport, RefusesExternalDataOutsideTheModelsFolder) {
  const fs::path root = fresh_dir("external_escape");
  const fs::path dir = root / "model";
  fs::create_directories(dir);
  write_file(root / "secret.bin", raw_bytes(kExternalWeights));
  const std::string model_dir = dir.string();
  expect_error([&] { import_model(external_model("../secret.bin", 0), model_dir); },
               {"initializer 'W'", "'../secret.bin'", "escapes the model's folder"});
  expect_error([&] { import_model(external_model("sub/../../secret.bin", 0), model_dir); },
               {"initializer 'W'", "escapes"});
  expect_error([&] { import_model(external_model((root / "secret.bin").string(), 0), model_dir); },
               {"initializer 'W'", "secret.bin", "is absolute"});
  fs::create_symlink(root / "secret.bin", dir / "link.bin");
  expect_error([&] { import_model(external_model("link.bin", 0), model_dir); },
               {"initializer 'W'", "'link.bin'", "escapes the model's folder"});
  fs::create_directory_symlink(root, dir / "up");
  expect_error([&] { import_model(external_model("up/secret.bin", 0), model_dir); }, {"initializer 'W'", "escapes"});
  expect_error([&] { import_model(external_model(std::string("w.bin\0../../x", 13), 0), model_dir); },
               {"initializer 'W'", "NUL"});
}

TEST(OnnxImport, RefusesMissingOrShortExternalData) {
  const fs::path dir = fresh_dir("external_short");
  const std::string model_dir = dir.string();
  expect_error([&] { import_model(external_model("absent.bin", 0), model_dir); },
               {"initializer 'W'", "absent.bin", "does not exist"});
  write_file(dir / "short.bin", raw_bytes(kExternalWeights).substr(0, 20));
  expect_error([&] { import_model(external_model("short.bin", 0), model_dir); },
               {"initializer 'W'", "short.bin", "holds 20 bytes", "too few"});
  write_file(dir / "w.bin", raw_bytes(kExternalWeights));
  expect_error([&] { import_model(external_model("w.bin", 8), model_dir); }, {"initializer 'W'", "at offset 8"});
  fs::create_directory(dir / "folder");
  expect_error([&] { import_model(external_model("folder", 0), model_dir); },
               {"initializer 'W'", "not a regular file"});
  onnx::ModelProto bad_offset = external_model("w.bin", 0);
  bad_offset.mutable_graph()->mutable_initializer(0)->mutable_external_data(1)->set_value("-1");
  expect_error([&] { import_model(bad_offset, model_dir); }, {"initializer 'W'", "'offset'", "'-1'"});
  onnx::ModelProto bad_length = external_model("w.bin", 0);
  bad_length.mutable_graph()->mutable_initializer(0)->mutable_external_data(2)->set_value("12");
  expect_error([&] { import_model(bad_length, model_dir); }, {"initializer 'W'", "'length' is 12 bytes", "24"});
}

// ---------------------------------------------------------------------------------------------------------
// The ONNX backend test data

fs::path onnx_tests_dir() { return fs::path(KILN_SOURCE_DIR) / ".." / "shared" / "onnx-tests"; }

// Why a conformance model may fail to import: the only acceptable reasons, all kiln::Unsupported.
bool justified_refusal(const std::string& message) {
  return message.find("is newer than kiln supports") != std::string::npos ||  // ai.onnx opsets 24+
         message.find("kiln's IR holds only tensors") != std::string::npos;  // sequence / optional values
}

TEST(OnnxImport, ImportsEveryConformanceModelOrSaysWhyNot) {
  if (!fs::exists(onnx_tests_dir())) GTEST_SKIP() << "no ONNX test data at " << onnx_tests_dir();
  std::vector<fs::path> models;
  for (const auto& entry : fs::recursive_directory_iterator(onnx_tests_dir()))
    if (entry.path().filename() == "model.onnx") models.push_back(entry.path());
  std::sort(models.begin(), models.end());
  int imported = 0, refused = 0;
  for (const fs::path& path : models) {
    try {
      const std::unique_ptr<Graph> graph = import_onnx_file(path.string());
      ++imported;
      EXPECT_FALSE(graph->outputs().empty()) << path;
    } catch (const Unsupported& e) {
      ++refused;
      EXPECT_TRUE(justified_refusal(e.what())) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  std::cout << "[          ] " << imported << " of " << models.size() << " conformance models imported, " << refused
            << " refused as unsupported\n";
  EXPECT_GT(imported, 1400);
}

TEST(OnnxImport, ReadsConformanceTensorFiles) {
  const fs::path set = onnx_tests_dir() / "node" / "test_abs" / "test_data_set_0";
  if (!fs::exists(set)) GTEST_SKIP() << "no ONNX test data at " << set;
  const Tensor input = read_tensor_proto_file((set / "input_0.pb").string());
  const Tensor output = read_tensor_proto_file((set / "output_0.pb").string());
  ASSERT_EQ(input.dtype(), KILN_DTYPE_FLOAT32);
  ASSERT_EQ(input.dims(), (std::vector<int64_t>{3, 4, 5}));
  ASSERT_EQ(output.dims(), input.dims());
  int negatives = 0;
  for (int64_t i = 0; i < input.numel(); ++i) {
    EXPECT_EQ(output.as<float>()[i], std::fabs(input.as<float>()[i])) << i;
    negatives += input.as<float>()[i] < 0;
  }
  EXPECT_GT(negatives, 0);  // the data exercises Abs, it is not all zeros

  const fs::path int_set = onnx_tests_dir() / "node" / "test_argmax_default_axis_example" / "test_data_set_0";
  const Tensor indices = read_tensor_proto_file((int_set / "output_0.pb").string());
  EXPECT_EQ(indices.dtype(), KILN_DTYPE_INT64);

  // A sequence test's input: an onnx.SequenceProto, which also parses as a TensorProto.
  const fs::path sequence = onnx_tests_dir() / "node" / "test_sequence_insert_at_back" / "test_data_set_0";
  expect_error<Unsupported>([&] { read_tensor_proto_file((sequence / "input_0.pb").string()); },
                            {"input_0.pb", "not a plain tensor"});
  expect_error([&] { read_tensor_proto_file((set / "absent.pb").string()); }, {"absent.pb", "cannot open"});
}

}  // namespace
}  // namespace kiln
