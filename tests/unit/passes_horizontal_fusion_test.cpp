// Horizontal fusion: sibling convolutions of one input (after Conv+Relu fusion) stack into one node whose
// kernel (KILN_KERNEL_STACKABLE) computes once and splits the result into the siblings' outputs.
#include <gtest/gtest.h>

#include "builder/builder.hpp"
#include "pass_test_support.hpp"
#include "passes/horizontal_fusion.hpp"
#include "runtime/engine.hpp"

namespace kiln {
namespace {

using testing::GraphBuilder;
using testing::PassFixture;
using testing::int_attr;
using testing::ints_attr;
using testing::random_floats;

// Conv (with bias) -> Relu reading `x`; returns the Relu's output.
Value* conv_relu(GraphBuilder& b, Value* x, const std::string& name, int64_t maps, int64_t kernel, int64_t group = 1) {
  const int64_t channels = x->dims[1];
  Value* w = b.constant(name + ".w", random_floats({maps, channels / group, kernel, kernel}, std::hash<std::string>()(name)));
  Value* bias = b.constant(name + ".b", random_floats({maps}, std::hash<std::string>()(name) + 1));
  Value* y = b.op("Conv", {x, w, bias}, name);
  if (kernel > 1) b.graph().nodes().back()->attributes["pads"] = ints_attr({1, 1, 1, 1});
  if (group > 1) b.graph().nodes().back()->attributes["group"] = int_attr(group);
  return b.op("Relu", {y}, name + ".relu");
}

// Three 1x1 towers of different widths and one 3x3 tower on one input (an Inception block), optionally joined.
std::unique_ptr<Graph> towers(bool concatenated, int64_t group = 1) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 4, 5, 5});
  const int64_t widths[] = {3 * group, 2 * group, 4 * group};  // grouped towers need widths the groups divide
  std::vector<Value*> outs = {conv_relu(b, x, "t1", widths[0], 1, group), conv_relu(b, x, "t2", widths[1], 1, group),
                              conv_relu(b, x, "t3", widths[2], 1, group), conv_relu(b, x, "t4", 2, 3)};
  if (!concatenated) {
    for (Value* v : outs) b.output(v);
    return b.take();
  }
  Value* joined = b.op("Concat", outs, "joined");
  b.graph().nodes().back()->attributes["axis"] = int_attr(1);
  b.output(b.op("Sigmoid", {joined}, "y"));
  return b.take();
}

std::map<std::string, Tensor> run(std::unique_ptr<Graph> graph, bool stack, BuildReport* report = nullptr) {
  PassFixture f;
  f.config.optimize.horizontal_fusion = stack;
  Engine engine(build_engine_plan(std::move(graph), f.registry, f.config, report), EngineOptions{true});
  return engine.run({{"x", random_floats({2, 4, 5, 5}, 11)}});
}

void expect_same(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    const Tensor& u = b.at(name);
    ASSERT_EQ(t.dims(), u.dims()) << name;
    for (int64_t i = 0; i < t.numel(); ++i)
      ASSERT_NEAR(t.as<float>()[i], u.as<float>()[i], 1e-6f * (1 + std::fabs(u.as<float>()[i]))) << name << " " << i;
  }
}

TEST(PassHorizontalFusion, SiblingPointwiseConvolutionsStackAndSplit) {
  BuildReport stacked, separate;
  const auto with = run(towers(false), true, &stacked);
  expect_same(with, run(towers(false), false, &separate));
  EXPECT_EQ(separate.layers_after, 4u);  // four ConvFused
  EXPECT_EQ(stacked.layers_after, 2u);   // the three 1x1 towers as one, and the 3x3 tower
  EXPECT_NE(stacked.pass_summaries[4].find("3 sibling nodes merged into 1"), std::string::npos)
      << stacked.pass_summaries[4];
}

TEST(PassHorizontalFusion, StackedOutputsWriteIntoAnEliminatedConcat) {
  BuildReport report;
  const auto with = run(towers(true), true, &report);
  EXPECT_EQ(report.concats_eliminated, 1u);
  EXPECT_EQ(report.layers_after, 4u);  // stacked 1x1s, 3x3, the (no-op) Concat, Sigmoid
  expect_same(with, run(towers(true), false));
}

TEST(PassHorizontalFusion, GroupedConvolutionsAreDeclinedByTheKernel) {
  BuildReport report;
  const auto with = run(towers(false, 2), true, &report);
  EXPECT_EQ(report.layers_after, 4u);
  expect_same(with, run(towers(false, 2), false));
}

TEST(PassHorizontalFusion, SiblingsThatReadInput0AgainAreLeftAlone) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 1, 1, 1});  // a 1x1x1x1 tensor is also a valid 1x1 filter: Conv(x, x)
  for (const char* name : {"p", "q"}) b.output(b.op("Relu", {b.op("Conv", {x, x}, name)}, std::string(name) + ".relu"));
  PassFixture f;  // the whole pipeline: pattern fusion first makes the siblings ConvFused, which stacks
  BuildReport report;
  Engine engine(build_engine_plan(b.take(), f.registry, f.config, &report));
  EXPECT_NE(report.pass_summaries[4].find("0 sibling nodes merged"), std::string::npos) << report.pass_summaries[4];
  Tensor x_value(KILN_DTYPE_FLOAT32, {1, 1, 1, 1});
  x_value.as<float>()[0] = -3.f;
  EXPECT_FLOAT_EQ(engine.run({{"x", x_value}}).at("p.relu").as<float>()[0], 9.f);  // relu(-3 * -3)
}

}  // namespace
}  // namespace kiln
