// The graph editing API the passes use: every edit keeps producer/consumer edges consistent.
#include <gtest/gtest.h>

#include "pass_test_support.hpp"
#include "passes/verify_graph.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

using testing::GraphBuilder;

TEST(PassGraphEdit, DetachNodeUnlinksItsEdges) {
  GraphBuilder b;
  Value* x = b.input("x", {2});
  Value* y = b.op("Relu", {x}, "y");
  Value* z = b.op("Neg", {y}, "z");
  b.output(z);
  std::unique_ptr<Node> neg = b.graph().detach_node(z->producer);
  EXPECT_EQ(neg->op_type, "Neg");
  EXPECT_TRUE(y->consumers.empty());
  EXPECT_EQ(z->producer, nullptr);
  EXPECT_EQ(b.graph().nodes().size(), 1u);
}

TEST(PassGraphEdit, RedirectUsesMovesEveryReadingSlot) {
  GraphBuilder b;
  Value* x = b.input("x", {2});
  Value* w = b.input("w", {2});
  Value* y = b.op("Relu", {x}, "y");
  Node* twice = b.node("Add", {y, y}, {"s"});
  b.output(twice->outputs[0]);
  b.graph().redirect_uses(y, w);
  EXPECT_EQ(twice->inputs, (std::vector<Value*>{w, w}));
  EXPECT_EQ(w->consumers, (std::vector<Node*>{twice, twice}));
  EXPECT_TRUE(y->consumers.empty());
  verify_graph(b.graph());
}

TEST(PassGraphEdit, ReplaceChainKeepsOrderAndOwnsTheOriginals) {
  GraphBuilder b;
  Value* x = b.input("x", {2});
  Value* first = b.op("Neg", {x}, "first");
  Value* sum = b.op("Add", {first, x}, "sum");
  Value* out = b.op("Relu", {sum}, "out");
  Value* last = b.op("Neg", {out}, "last");
  b.output(last);
  Node* add = sum->producer;
  Node* relu = out->producer;
  auto fused = std::make_unique<Node>();
  fused->name = "fused";
  fused->op_type = "AddAct";
  fused->inputs = {first, x};
  fused->outputs = {out};
  Node* placed = b.graph().replace_chain({add, relu}, std::move(fused));
  ASSERT_EQ(b.graph().nodes().size(), 3u);
  EXPECT_EQ(b.graph().nodes()[1].get(), placed);  // where the chain began
  ASSERT_EQ(placed->pattern.size(), 2u);
  EXPECT_EQ(placed->pattern[0].get(), add);
  EXPECT_EQ(placed->pattern[1].get(), relu);
  EXPECT_EQ(out->producer, placed);
  EXPECT_EQ(x->consumers.size(), 2u);  // first Neg and the fused node; no longer the detached Add
  // "sum" is named only by the pattern steps now: it stays, the others that nothing uses go.
  b.graph().add_value("orphan");
  EXPECT_EQ(b.graph().remove_unused_values(), 1u);
  EXPECT_NE(b.graph().find_value("sum"), nullptr);
  EXPECT_EQ(b.graph().find_value("orphan"), nullptr);
  verify_graph(b.graph());
}

TEST(PassGraphEdit, RemoveUnusedValuesKeepsGraphInputsAndDropsUnusedInitializers) {
  GraphBuilder b;
  Value* x = b.input("x", {2});
  b.input("unused_input", {2});
  b.constant("unused_weight", testing::floats({1}, {3.f}));
  b.output(b.op("Relu", {x}, "y"));
  EXPECT_EQ(b.graph().remove_unused_values(), 1u);
  EXPECT_NE(b.graph().find_value("unused_input"), nullptr);
  EXPECT_EQ(b.graph().find_value("unused_weight"), nullptr);
}

TEST(PassGraphEdit, SetNodeOutputRefusesAValueAnotherNodeProduces) {
  GraphBuilder b;
  Value* x = b.input("x", {2});
  Value* y = b.op("Relu", {x}, "y");
  Value* z = b.op("Neg", {x}, "z");
  EXPECT_THROW(b.graph().set_node_output(z->producer, 0, y), Error);
}

}  // namespace
}  // namespace kiln
