// Pattern fusion with the test plugin's fused kernels (AddAct: Add -> Relu|LeakyRelu; MulAddRelu: Mul -> [Add]
// -> Relu), and the selector's handling of fused nodes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "pass_test_support.hpp"
#include "passes/pattern_fusion.hpp"
#include "passes/verify_graph.hpp"
#include "runtime/engine.hpp"

namespace kiln {
namespace {

using testing::count_ops;
using testing::GraphBuilder;
using testing::random_floats;

struct FusionFixture : testing::PassFixture {
  FusionFixture() : PassFixture({testing::reference_pack(), testing::test_plugin("kiln_test_passes")}) {}
};

const Node& only_node(const Graph& graph) {
  EXPECT_EQ(graph.nodes().size(), 1u);
  return *graph.nodes().front();
}

void expect_near_all(const Tensor& actual, const std::vector<float>& expected) {
  ASSERT_EQ(actual.numel(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(actual.as<float>()[i], expected[i], 1e-6f) << "at " << i;
}

TEST(PassPatternFusion, FusesAddReluAndRunsIt) {
  FusionFixture f;
  GraphBuilder b;
  Value* x = b.input("x", {2, 3});
  Value* c = b.input("c", {2, 3});
  b.output(b.op("Relu", {b.op("Add", {x, c}, "sum")}, "y"));

  const PatternFusionResult result = fuse_patterns(b.graph(), f.context);
  EXPECT_EQ(result.fused, 1u);
  EXPECT_EQ(result.replaced, 2u);
  const Node& fused = only_node(b.graph());
  EXPECT_EQ(fused.op_type, "AddAct");
  EXPECT_EQ(fused.inputs, (std::vector<Value*>{x, c}));
  ASSERT_EQ(fused.pattern.size(), 2u);
  EXPECT_EQ(fused.pattern[0]->op_type, "Add");
  EXPECT_EQ(fused.pattern[1]->op_type, "Relu");
  EXPECT_TRUE(fused.attributes.empty());
  verify_graph(b.graph());

  Engine engine(b.take(), f.registry, f.config);
  EXPECT_STREQ(engine.layers()[0].selection.chosen->desc->name, "kiln.test.passes.AddAct");
  const Tensor xt = random_floats({2, 3}, 1), ct = random_floats({2, 3}, 2);
  std::vector<float> expected;
  for (int i = 0; i < 6; ++i) expected.push_back(std::max(0.f, xt.as<float>()[i] + ct.as<float>()[i]));
  expect_near_all(engine.run({{"x", xt}, {"c", ct}}).at("y"), expected);
}

TEST(PassPatternFusion, AnAlternativeStepsAttributesReachTheKernel) {
  FusionFixture f;
  GraphBuilder b;
  Value* x = b.input("x", {4});
  Value* c = b.input("c", {4});
  Node* leaky = b.node("LeakyRelu", {b.op("Add", {x, c}, "sum")}, {"y"});
  Attribute alpha;
  alpha.kind = KILN_ATTR_FLOAT;
  alpha.f = 0.25f;
  leaky->attributes["alpha"] = alpha;
  b.output(leaky->outputs[0]);
  EXPECT_EQ(fuse_patterns(b.graph(), f.context).fused, 1u);

  Engine engine(b.take(), f.registry, f.config);
  const auto y = engine.run({{"x", testing::floats({4}, {1.f, -2.f, 3.f, -4.f})},
                             {"c", testing::floats({4}, {0.5f, 1.f, -5.f, -4.f})}});
  expect_near_all(y.at("y"), {1.5f, -0.25f, -0.5f, -2.f});
}

TEST(PassPatternFusion, ADeclinedFusionLeavesTheChainAsItWas) {
  FusionFixture f;
  GraphBuilder b;
  Value* x = b.input("x", {2, 3});
  Value* c = b.input("c", {3});  // broadcast: AddAct's check declines
  Value* sum = b.op("Add", {x, c}, "sum");
  b.output(b.op("Relu", {sum}, "y"));
  EXPECT_EQ(fuse_patterns(b.graph(), f.context).fused, 0u);
  EXPECT_EQ(b.graph().nodes().size(), 2u);
  EXPECT_EQ(sum->consumers.size(), 1u);
  EXPECT_EQ(sum->producer->op_type, "Add");
  verify_graph(b.graph());
}

TEST(PassPatternFusion, TheLongerPatternWinsAndTheChainedInputMayBeAnywhere) {
  FusionFixture f;
  GraphBuilder b;
  Value* a = b.input("a", {5});
  Value* w = b.input("w", {5});
  Value* c = b.input("c", {5});
  Value* product = b.op("Mul", {a, w}, "product");
  Value* sum = b.op("Add", {c, product}, "sum");  // the chained value at position 1
  b.output(b.op("Relu", {sum}, "y"));
  const PatternFusionResult result = fuse_patterns(b.graph(), f.context);
  EXPECT_EQ(result.fused, 1u);
  EXPECT_EQ(result.replaced, 3u);
  const Node& fused = only_node(b.graph());
  EXPECT_EQ(fused.op_type, "MulAddRelu");
  EXPECT_EQ(fused.inputs, (std::vector<Value*>{a, w, c}));
  EXPECT_EQ(fused.name, "Mul_0+Add_1+Relu_2");

  Engine engine(b.take(), f.registry, f.config);
  const Tensor at = random_floats({5}, 3), wt = random_floats({5}, 4), ct = random_floats({5}, 5);
  std::vector<float> expected;
  for (int i = 0; i < 5; ++i)
    expected.push_back(std::max(0.f, at.as<float>()[i] * wt.as<float>()[i] + ct.as<float>()[i]));
  expect_near_all(engine.run({{"a", at}, {"w", wt}, {"c", ct}}).at("y"), expected);
}

TEST(PassPatternFusion, AnOptionalStepMayBeAbsent) {
  FusionFixture f;
  GraphBuilder b;
  Value* a = b.input("a", {3});
  Value* w = b.input("w", {3});
  b.output(b.op("Relu", {b.op("Mul", {a, w}, "product")}, "y"));
  EXPECT_EQ(fuse_patterns(b.graph(), f.context).fused, 1u);
  const Node& fused = only_node(b.graph());
  EXPECT_EQ(fused.op_type, "MulAddRelu");
  EXPECT_EQ(fused.pattern.size(), 2u);

  Engine engine(b.take(), f.registry, f.config);
  const auto y = engine.run({{"a", testing::floats({3}, {1.f, -2.f, 3.f})}, {"w", testing::floats({3}, {2.f, 2.f, -1.f})}});
  expect_near_all(y.at("y"), {2.f, 0.f, 0.f});
}

TEST(PassPatternFusion, AnIntermediateWithAnotherReaderOrAsGraphOutputIsNotFused) {
  FusionFixture f;
  GraphBuilder b;
  Value* x = b.input("x", {3});
  Value* c = b.input("c", {3});
  Value* shared = b.op("Add", {x, c}, "shared");
  b.output(b.op("Relu", {shared}, "y"));
  b.output(b.op("Neg", {shared}, "z"));
  Value* exposed = b.op("Add", {c, x}, "exposed");
  b.output(b.op("Relu", {exposed}, "w"));
  b.output(exposed);
  EXPECT_EQ(fuse_patterns(b.graph(), f.context).fused, 0u);
  EXPECT_EQ(count_ops(b.graph(), "AddAct"), 0u);
}

TEST(PassPatternFusion, APreferenceListThatExcludesTheKernelPreventsTheFusion) {
  FusionFixture f;
  f.config.kernels.push_back(KernelPreference{"AddAct", {"acme.*"}, {SourceLocation{"test.yaml", 2, 5}}, {}});
  GraphBuilder b;
  Value* x = b.input("x", {3});
  b.output(b.op("Relu", {b.op("Add", {x, x}, "sum")}, "y"));
  EXPECT_EQ(fuse_patterns(b.graph(), f.context).fused, 0u);
}

TEST(PassPatternFusion, TheSelectorMatchesFusedNodesByTheirSteps) {
  FusionFixture f;
  GraphBuilder b;
  Value* x = b.input("x", {3});
  // A node claiming to be AddAct, but standing for Mul -> Relu: the kernel's pattern does not fit.
  auto fused = std::make_unique<Node>();
  fused->name = "impostor";
  fused->op_type = "AddAct";
  fused->inputs = {x, x};
  fused->outputs = {b.graph().add_value("y")};
  for (const char* op : {"Mul", "Relu"}) {
    auto step = std::make_unique<Node>();
    step->op_type = op;
    fused->pattern.push_back(std::move(step));
  }
  const Selection mismatched = f.selector.select(*fused);
  EXPECT_EQ(mismatched.chosen, nullptr);
  ASSERT_FALSE(mismatched.declined.empty());
  EXPECT_NE(mismatched.declined[0].reason.find("fuses another pattern: Add -> Relu|LeakyRelu"), std::string::npos)
      << mismatched.declined[0].reason;

  // And a plain node of that op is not given the fused kernel.
  fused->pattern.clear();
  const Selection plain = f.selector.select(*fused);
  EXPECT_EQ(plain.chosen, nullptr);
  ASSERT_FALSE(plain.declined.empty());
  EXPECT_EQ(plain.declined[0].reason, "is a fused-pattern kernel");
}

TEST(PassPatternFusion, PassSummaryNamesTheFusedOps) {
  FusionFixture f;
  GraphBuilder b;
  Value* x = b.input("x", {3});
  Value* first = b.op("Relu", {b.op("Add", {x, x}, "s1")}, "r1");
  b.output(b.op("Relu", {b.op("Add", {first, x}, "s2")}, "r2"));
  EXPECT_EQ(pattern_fusion_pass().run(b.graph(), f.context), "4 nodes fused into 2 (2 AddAct)");
}

}  // namespace
}  // namespace kiln
