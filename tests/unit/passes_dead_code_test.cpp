// Dead-code elimination keeps exactly what the graph outputs depend on.
#include <gtest/gtest.h>

#include "pass_test_support.hpp"
#include "passes/dead_code.hpp"

namespace kiln {
namespace {

using testing::GraphBuilder;

TEST(PassDeadCode, RemovesBranchesNoOutputNeeds) {
  GraphBuilder b;
  Value* x = b.input("x", {3});
  Value* w = b.constant("w", testing::floats({3}, {1.f, 2.f, 3.f}));
  Value* kept = b.op("Relu", {x}, "kept");
  Value* dead_mid = b.op("Mul", {kept, w}, "dead_mid");  // reads a live value, but feeds only dead nodes
  b.op("Neg", {dead_mid}, "dead_end");
  b.node("Split", {x}, {"part0", "part1"});  // several outputs, none used
  b.output(b.op("Neg", {kept}, "y"));

  const DeadCodeResult result = eliminate_dead_code(b.graph());
  EXPECT_EQ(result.nodes, 3u);
  EXPECT_EQ(result.values, 5u);  // dead_mid, dead_end, part0, part1, and the weight only they read
  EXPECT_EQ(b.graph().nodes().size(), 2u);
  EXPECT_EQ(kept->consumers.size(), 1u);
  EXPECT_EQ(b.graph().find_value("w"), nullptr);
  EXPECT_NE(b.graph().find_value("x"), nullptr);
}

TEST(PassDeadCode, KeepsAMultiOutputNodeWhenOneOutputIsUsed) {
  GraphBuilder b;
  Value* x = b.input("x", {4});
  Node* split = b.node("Split", {x}, {"left", "right"});
  b.output(split->outputs[1]);
  const DeadCodeResult result = eliminate_dead_code(b.graph());
  EXPECT_EQ(result.nodes, 0u);
  EXPECT_EQ(result.values, 0u);
  EXPECT_NE(b.graph().find_value("left"), nullptr);  // still the node's output
}

TEST(PassDeadCode, PassSummaryCountsNodesAndValues) {
  GraphBuilder b;
  Value* x = b.input("x", {3});
  b.op("Neg", {x}, "unused");
  b.output(b.op("Relu", {x}, "y"));
  testing::PassFixture fixture(std::vector<std::string>{});
  EXPECT_EQ(dead_code_pass().run(b.graph(), fixture.context), "1 nodes and 1 values removed");
}

}  // namespace
}  // namespace kiln
