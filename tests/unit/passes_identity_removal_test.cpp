// Identity removal through kernels flagged KILN_KERNEL_IDENTITY (the reference pack's Identity and Dropout),
// keeping graph output names, and the model's results.
#include <gtest/gtest.h>

#include "pass_test_support.hpp"
#include "passes/identity_removal.hpp"
#include "runtime/engine.hpp"

namespace kiln {
namespace {

using testing::count_ops;
using testing::GraphBuilder;
using testing::PassFixture;

TEST(PassIdentityRemoval, RewiresConsumersToTheIdentitysInput) {
  PassFixture f;
  GraphBuilder b;
  Value* x = b.input("x", {2, 3});
  Value* r = b.op("Relu", {x}, "r");
  Value* id = b.op("Identity", {r}, "id");
  Value* dropped = b.node("Dropout", {id}, {"dropped"})->outputs[0];
  Value* y = b.op("Neg", {dropped}, "y");
  b.output(y);
  const IdentityRemovalResult result = remove_identities(b.graph(), f.context);
  EXPECT_EQ(result.removed, 2u);
  EXPECT_EQ(result.kept, 0u);
  EXPECT_EQ(y->producer->inputs[0], r);
  EXPECT_EQ(count_ops(b.graph(), "Identity") + count_ops(b.graph(), "Dropout"), 0u);

  Engine engine(b.take(), f.registry, f.config);
  const Tensor xt = testing::floats({2, 3}, {-1.f, 2.f, -3.f, 4.f, 0.5f, -0.5f});
  const Tensor yt = engine.run({{"x", xt}}).at("y");
  const std::vector<float> expected = {0.f, -2.f, 0.f, -4.f, -0.5f, 0.f};
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(yt.as<float>()[i], expected[i]);
}

TEST(PassIdentityRemoval, AProducerTakesOverAGraphOutputsName) {
  PassFixture f;
  GraphBuilder b;
  Value* x = b.input("x", {3});
  Value* r = b.op("Relu", {x}, "r");
  Value* y = b.op("Identity", {r}, "y");
  Value* z = b.op("Neg", {r}, "z");  // another reader of the identity's input
  b.output(y);
  b.output(z);
  EXPECT_EQ(remove_identities(b.graph(), f.context).removed, 1u);
  EXPECT_EQ(y->producer->op_type, "Relu");
  EXPECT_EQ(z->producer->inputs[0], y);
  EXPECT_TRUE(r->consumers.empty());

  Engine engine(b.take(), f.registry, f.config);
  const auto results = engine.run({{"x", testing::floats({3}, {-2.f, 1.5f, 3.f})}});
  EXPECT_EQ(results.at("y").as<float>()[1], 1.5f);
  EXPECT_EQ(results.at("z").as<float>()[2], -3.f);
}

TEST(PassIdentityRemoval, KeepsAGraphOutputCopyOfAGraphInput) {
  PassFixture f;
  GraphBuilder b;
  Value* x = b.input("x", {3});
  b.output(b.op("Identity", {x}, "y"));
  const IdentityRemovalResult result = remove_identities(b.graph(), f.context);
  EXPECT_EQ(result.removed, 0u);
  EXPECT_EQ(result.kept, 1u);
  EXPECT_EQ(count_ops(b.graph(), "Identity"), 1u);
}

TEST(PassIdentityRemoval, KeepsDropoutWhoseMaskIsRead) {
  PassFixture f;
  GraphBuilder b(13);
  Value* x = b.input("x", {3});
  Node* dropout = b.node("Dropout", {x}, {"d", "mask"});
  b.output(b.op("Relu", {dropout->outputs[0]}, "y"));
  b.output(dropout->outputs[1]);
  EXPECT_EQ(remove_identities(b.graph(), f.context).removed, 0u);
  EXPECT_EQ(count_ops(b.graph(), "Dropout"), 1u);
}

TEST(PassIdentityRemoval, KeepsTrainingModeDropoutItsCheckDeclines) {
  PassFixture f;
  GraphBuilder b(13);
  Value* x = b.input("x", {3});
  Tensor training(KILN_DTYPE_BOOL, {});
  *training.as<bool>() = true;
  Value* mode = b.constant("training_mode", training);
  Value* d = b.op("Dropout", {x, nullptr, mode}, "d");
  b.output(b.op("Neg", {d}, "y"));
  EXPECT_EQ(remove_identities(b.graph(), f.context).removed, 0u);
  EXPECT_EQ(count_ops(b.graph(), "Dropout"), 1u);
}

}  // namespace
}  // namespace kiln
