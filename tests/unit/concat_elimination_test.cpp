// Concat elimination: producers that declare KILN_KERNEL_STRIDED_OUTPUT write straight into their slices of a
// KILN_KERNEL_CONCAT node's output. Checked against the same graph built without it, with outputs poisoned.
#include <gtest/gtest.h>

#include "builder/builder.hpp"
#include "pass_test_support.hpp"
#include "runtime/engine.hpp"

namespace kiln {
namespace {

using testing::GraphBuilder;
using testing::PassFixture;
using testing::random_floats;

// Two convolutions of one input (3 and 5 output channels) concatenated along `axis`, then a Relu: batch 2, so
// a channel slice is a strided view of the concat's output.
std::unique_ptr<Graph> two_convs_concatenated(int64_t axis, bool second_also_read_elsewhere = false) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 4, 6, 6});
  Value* a = b.op("Conv", {x, b.constant("wa", random_floats({3, 4, 3, 3}, 1)), b.constant("ba", random_floats({3}, 2))}, "a");
  b.graph().nodes().back()->attributes["pads"] = testing::ints_attr({1, 1, 1, 1});
  Value* c = b.op("Conv", {x, b.constant("wc", random_floats({3, 4, 1, 1}, 3))}, "c");
  Value* joined = b.op("Concat", {a, c}, "joined");
  b.graph().nodes().back()->attributes["axis"] = testing::int_attr(axis);
  b.output(b.op("Relu", {joined}, "y"));
  if (second_also_read_elsewhere) b.output(b.op("Neg", {c}, "also"));
  return b.take();
}

std::map<std::string, Tensor> run(std::unique_ptr<Graph> graph, bool eliminate, size_t* eliminated = nullptr) {
  PassFixture f;
  f.config.optimize.concat_elimination = eliminate;
  BuildReport report;
  Engine engine(build_engine_plan(std::move(graph), f.registry, f.config, &report), EngineOptions{true});
  if (eliminated) *eliminated = report.concats_eliminated;
  return engine.run({{"x", random_floats({2, 4, 6, 6}, 7)}});
}

void expect_same(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dims(), b.dims());
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a.as<float>()[i], b.as<float>()[i]) << "element " << i;
}

TEST(ConcatElimination, ChannelSlicesAreWrittenInPlaceWithIdenticalResults) {
  size_t eliminated = 0;
  const auto with = run(two_convs_concatenated(1), true, &eliminated);
  EXPECT_EQ(eliminated, 1u);
  expect_same(with.at("y"), run(two_convs_concatenated(1), false).at("y"));
}

TEST(ConcatElimination, OtherAxesScatterIntoTheirSlices) {
  for (int64_t axis : {0, 2, 3, -1}) {
    size_t eliminated = 0;
    // Along H or W the slices need the same channels: the 1x1 conv's output is [2,3,6,6] like the 3x3's.
    const auto with = run(two_convs_concatenated(axis), true, &eliminated);
    EXPECT_EQ(eliminated, 1u) << "axis " << axis;
    expect_same(with.at("y"), run(two_convs_concatenated(axis), false).at("y"));
  }
}

TEST(ConcatElimination, AnInputReadElsewhereKeepsTheConcat) {
  size_t eliminated = 1;
  const auto with = run(two_convs_concatenated(1, true), true, &eliminated);
  EXPECT_EQ(eliminated, 0u);
  expect_same(with.at("y"), run(two_convs_concatenated(1, true), false).at("y"));
}

}  // namespace
}  // namespace kiln
