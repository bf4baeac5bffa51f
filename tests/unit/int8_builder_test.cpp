// The builder's INT8 stages on hand-built graphs with the reference pack: which layers run INT8 under
// `precision: int8` (builder/int8_assignment), what Quantize/DequantizeLinear it inserts, how a Concat's inputs
// share its scale, keep_fp32, and explicit QDQ folding (builder/qdq_folding). End-to-end accuracy lives in
// tests/models/digits (calibrated digits CNN vs FP32; a QDQ model vs onnxruntime).
#include <gtest/gtest.h>

#include <cmath>

#include "builder/int8_assignment.hpp"
#include "builder/qdq_folding.hpp"
#include "pass_test_support.hpp"
#include "runtime/engine.hpp"

namespace kiln {
namespace {

using testing::GraphBuilder;
using testing::PassFixture;
using testing::count_ops;
using testing::random_floats;

// x -> conv a, x -> conv b, concat(a, b) -> conv c -> y: two INT8 branches meeting in a Concat.
struct TwoBranches {
  GraphBuilder b;
  Value *x, *a, *bb, *cat, *y;
  TwoBranches() {
    x = b.input("x", {1, 4, 6, 6});
    a = b.op("Conv", {x, b.constant("wa", random_floats({3, 4, 1, 1}, 1))}, "a");
    bb = b.op("Conv", {x, b.constant("wb", random_floats({5, 4, 3, 3}, 2))}, "b");
    bb->producer->attributes["pads"] = ints_attr({1, 1, 1, 1});
    Node* concat = b.node("Concat", {a, bb}, {"cat"});
    concat->attributes["axis"] = int_attr(1);
    cat = concat->outputs[0];
    y = b.op("Conv", {cat, b.constant("wc", random_floats({2, 8, 1, 1}, 3))}, "y");
    b.output(y);
    for (Value* v : {a, bb, cat, y}) GraphBuilder::typed(v, {1, v == a ? 3 : v == bb ? 5 : v == cat ? 8 : 2, 6, 6});
  }
};

const std::map<std::string, float> kScales = {{"x", 0.02f}, {"a", 0.05f}, {"b", 0.08f}, {"cat", 0.1f}, {"y", 0.3f}};

const Node* producer_of(const Graph& g, const std::string& value) { return g.find_value(value)->producer; }

TEST(Int8Assignment, ConvsAndTheirConcatRunInt8OnOneScale) {
  PassFixture f;
  f.config.precision = "int8";
  TwoBranches t;
  const Int8Summary s = assign_int8(t.b.graph(), f.selector, f.config, kScales);
  EXPECT_EQ(s.int8_nodes, 4u) << s.describe();  // three convs and the concat
  EXPECT_EQ(s.quantize_nodes, 1u);                // x, once for both branches
  EXPECT_EQ(s.dequantize_nodes, 0u);              // y is written as reals by the last conv
  const Graph& g = t.b.graph();
  const Value* a = g.find_value("a/int8");
  const Value* b = g.find_value("b/int8");
  ASSERT_TRUE(a && b && a->quant && b->quant);
  EXPECT_EQ(a->quant->scales, std::vector<float>{0.1f});  // the Concat's scale, not their own
  EXPECT_EQ(b->quant->scales, std::vector<float>{0.1f});
  EXPECT_EQ(f.selector.select(*producer_of(g, "cat/int8")).chosen->desc->name, std::string("kiln.cpu_ref.Concat"));
  EXPECT_EQ(g.find_value("y")->dtype, KILN_DTYPE_FLOAT32);
  EXPECT_EQ(f.selector.select(*producer_of(g, "y")).chosen->desc->name, std::string("kiln.cpu_ref.ConvInt8"));
}

TEST(Int8Assignment, KeepFp32KeepsALayerFloatAndQuantizesWhatItFeedsToInt8Layers) {
  PassFixture f;
  f.config.precision = "int8";
  TwoBranches t;
  f.config.keep_fp32 = {t.bb->producer->name};
  std::map<std::string, float> scales = kScales;
  scales.erase("y");  // the last conv's output has no scale: it still runs INT8, writing reals
  const Int8Summary s = assign_int8(t.b.graph(), f.selector, f.config, scales);
  const Graph& g = t.b.graph();
  EXPECT_EQ(g.find_value("b")->dtype, KILN_DTYPE_FLOAT32);  // kept
  EXPECT_EQ(f.selector.select(*g.find_value("b")->producer).chosen->desc->name, std::string("kiln.cpu_ref.Conv"));
  EXPECT_EQ(s.int8_nodes, 3u) << s.describe();  // conv a, the concat, conv c
  EXPECT_EQ(s.quantize_nodes, 2u);              // x, and b for the concat
  EXPECT_EQ(s.dequantize_nodes, 0u);
  EXPECT_EQ(g.find_value("b/int8")->producer->op_type, "QuantizeLinear");
}

// x -> MaxPool 2x2 -> conv -> y: nothing INT8 writes the pool's input, so the pool stays float and the one
// quantization comes after it, on a quarter of the values.
TEST(Int8Assignment, APassThroughLayerOnFreshlyQuantizedValuesStaysFloat) {
  PassFixture f;
  f.config.precision = "int8";
  GraphBuilder b;
  Value* x = b.input("x", {1, 4, 6, 6});
  Node* pool = b.node("MaxPool", {x}, {"p"});
  pool->attributes["kernel_shape"] = ints_attr({2, 2});
  pool->attributes["strides"] = ints_attr({2, 2});
  Value* p = pool->outputs[0];
  GraphBuilder::typed(p, {1, 4, 3, 3});
  Value* y = b.op("Conv", {p, b.constant("w", random_floats({2, 4, 1, 1}, 4))}, "y");
  GraphBuilder::typed(y, {1, 2, 3, 3});
  b.output(y);
  const Int8Summary s = assign_int8(b.graph(), f.selector, f.config, {{"x", 0.02f}, {"p", 0.02f}, {"y", 0.1f}});
  const Graph& g = b.graph();
  EXPECT_EQ(s.int8_nodes, 1u) << s.describe();  // the conv alone
  EXPECT_EQ(s.quantize_nodes, 1u);
  EXPECT_EQ(g.find_value("p")->dtype, KILN_DTYPE_FLOAT32);
  EXPECT_EQ(g.find_value("p/int8")->producer->op_type, "QuantizeLinear");
  EXPECT_EQ(g.find_value("x/int8"), nullptr);
}

TEST(Int8Assignment, AnActivationWithoutAScaleKeepsItsReaderFloat) {
  PassFixture f;
  f.config.precision = "int8";
  TwoBranches t;
  std::map<std::string, float> scales = kScales;
  scales.erase("b");  // (all zero in calibration, say)
  const Int8Summary s = assign_int8(t.b.graph(), f.selector, f.config, scales);
  const Graph& g = t.b.graph();
  EXPECT_EQ(g.find_value("cat")->dtype, KILN_DTYPE_FLOAT32);  // the concat reads b: float
  EXPECT_EQ(g.find_value("b")->producer->op_type, "Conv");     // conv b: INT8 in, reals out
  EXPECT_EQ(s.int8_nodes, 3u) << s.describe();                 // conv a, conv b, conv c
  EXPECT_EQ(s.quantize_nodes, 2u);                             // x, and cat for conv c
  EXPECT_EQ(s.dequantize_nodes, 1u);                           // a, for the float concat
}

TEST(Int8Assignment, Int8PlanAgreesWithFp32WithinQuantizationError) {
  PassFixture f;
  TwoBranches fp32_graph, int8_graph;
  const Tensor x = random_floats({1, 4, 6, 6}, 9);
  // Scales from the FP32 run's own extremes, as min-max calibration would choose.
  BuildConfig fp32_config;
  Engine fp32(fp32_graph.b.take(), f.registry, fp32_config);
  const Tensor reference = fp32.run({{"x", x}}).at("y");
  BuildConfig observe;  // every value an output: their ranges
  TwoBranches probe;
  for (Value* v : {probe.a, probe.bb, probe.cat}) {
    v->is_graph_output = true;
    probe.b.graph().outputs().push_back(v);
  }
  Engine probe_engine(probe.b.take(), f.registry, observe);
  std::map<std::string, float> scales;
  scales["x"] = 2.0f / 127;
  for (const auto& [name, t] : probe_engine.run({{"x", x}})) {
    float amax = 0;
    for (int64_t i = 0; i < t.numel(); ++i) amax = std::max(amax, std::fabs(t.as<float>()[i]));
    scales[name] = amax / 127;
  }
  PassFixture g;
  g.config.precision = "int8";
  assign_int8(int8_graph.b.graph(), g.selector, g.config, scales);
  Engine int8(int8_graph.b.take(), g.registry, BuildConfig{});
  const Tensor out = int8.run({{"x", x}}).at("y");
  double err = 0, norm = 0;
  for (int64_t i = 0; i < out.numel(); ++i) {
    err += std::pow(out.as<float>()[i] - reference.as<float>()[i], 2);
    norm += std::pow(reference.as<float>()[i], 2);
  }
  EXPECT_LT(std::sqrt(err / norm), 0.05);  // three 8-bit roundings of well-ranged values
  EXPECT_GT(std::sqrt(err / norm), 0.0);   // and it did run on integers
}

// Q -> DQ -> Conv -> Q -> DQ: the Conv reads the integers and writes them directly.
TEST(QdqFolding, FoldsDequantizeOpQuantizeIntoTheOp) {
  PassFixture f;
  GraphBuilder b;
  Value* x = b.input("x", {1, 2, 4, 4});
  Tensor scale(KILN_DTYPE_FLOAT32, {});
  *scale.as<float>() = 0.05f;
  Tensor zero(KILN_DTYPE_INT8, {});
  *zero.as<int8_t>() = 0;
  Value* xq = b.op("QuantizeLinear", {x, b.constant("sx", scale), b.constant("zx", zero)}, "xq");
  Value* xd = b.op("DequantizeLinear", {xq, b.constant("sx2", scale), b.constant("zx2", zero)}, "xd");
  Value* conv = b.op("Conv", {xd, b.constant("w", random_floats({3, 2, 1, 1}, 4))}, "conv");
  Value* yq = b.op("QuantizeLinear", {conv, b.constant("sy", scale), b.constant("zy", zero)}, "yq");
  Value* y = b.op("DequantizeLinear", {yq, b.constant("sy2", scale), b.constant("zy2", zero)}, "y");
  GraphBuilder::typed(xq, {1, 2, 4, 4}, KILN_DTYPE_INT8);
  GraphBuilder::typed(xd, {1, 2, 4, 4});
  GraphBuilder::typed(conv, {1, 3, 4, 4});
  GraphBuilder::typed(yq, {1, 3, 4, 4}, KILN_DTYPE_INT8);
  GraphBuilder::typed(y, {1, 3, 4, 4});
  b.output(y);
  const QdqFoldingSummary s = fold_qdq(b.graph(), f.selector);
  EXPECT_EQ(s.folded_nodes, 1u);
  EXPECT_EQ(s.removed_qdq, 2u);  // the DequantizeLinear before and the QuantizeLinear after the Conv
  const Node* folded = b.graph().find_value("yq")->producer;
  ASSERT_NE(folded, nullptr);
  EXPECT_EQ(folded->op_type, "Conv");
  EXPECT_EQ(folded->inputs[0], b.graph().find_value("xq"));
  EXPECT_EQ(b.graph().find_value("xq")->quant, Quantization::per_tensor(0.05f));
  EXPECT_EQ(count_ops(b.graph(), "QuantizeLinear"), 1u);
  EXPECT_EQ(count_ops(b.graph(), "DequantizeLinear"), 1u);
}

}  // namespace
}  // namespace kiln
