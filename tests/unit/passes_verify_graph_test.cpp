// verify_graph names what is broken: edges, producers, undefined values, graph outputs, cycles, names.
#include <gtest/gtest.h>

#include "pass_test_support.hpp"
#include "passes/verify_graph.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

using testing::GraphBuilder;

// x -> Relu -> y -> Neg -> z (output)
struct Chain {
  GraphBuilder b;
  Value* x = b.input("x", {2});
  Value* y = b.op("Relu", {x}, "y");
  Value* z = b.op("Neg", {y}, "z");
  Chain() { b.output(z); }
};

void expect_broken(const Graph& graph, const std::string& needle) {
  try {
    verify_graph(graph);
    FAIL() << "no error; expected one mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(PassVerifyGraph, AcceptsAConsistentGraph) {
  Chain c;
  EXPECT_NO_THROW(verify_graph(c.b.graph()));
}

TEST(PassVerifyGraph, NamesAConsumerTheValueDoesNotList) {
  Chain c;
  c.y->consumers.clear();
  expect_broken(c.b.graph(), "node 'Neg_1' (Neg) reads value 'y'");
}

TEST(PassVerifyGraph, NamesAListedConsumerThatDoesNotRead) {
  Chain c;
  c.x->consumers.push_back(c.z->producer);
  expect_broken(c.b.graph(), "value 'x' lists node 'Neg_1' (Neg) as a consumer");
}

TEST(PassVerifyGraph, NamesAWrongProducer) {
  Chain c;
  c.y->producer = c.z->producer;
  expect_broken(c.b.graph(), "whose producer is node 'Neg_1'");
}

TEST(PassVerifyGraph, NamesAValueProducedTwice) {
  Chain c;
  c.z->producer->outputs.push_back(c.y);
  expect_broken(c.b.graph(), "value 'y' is produced by both");
}

TEST(PassVerifyGraph, NamesAnUndefinedInput) {
  Chain c;
  Value* ghost = c.b.graph().add_value("ghost");
  c.z->producer->inputs.push_back(ghost);
  ghost->consumers.push_back(c.z->producer);
  expect_broken(c.b.graph(), "reads value 'ghost', which no node produces");
}

TEST(PassVerifyGraph, NamesAnUndefinedGraphOutput) {
  Chain c;
  c.b.output(c.b.graph().add_value("never_made"));
  expect_broken(c.b.graph(), "graph output 'never_made'");
}

TEST(PassVerifyGraph, NamesANodeOnACycle) {
  GraphBuilder b;
  Value* x = b.input("x", {2});
  Value* loop = b.graph().add_value("loop");
  Node* add = b.node("Add", {x, loop}, {"a"});
  Node* neg = b.node("Neg", {add->outputs[0]}, {});
  neg->outputs.push_back(loop);
  loop->producer = neg;
  b.output(add->outputs[0]);
  expect_broken(b.graph(), "cycle");
}

TEST(PassVerifyGraph, NamesADuplicateNodeName) {
  Chain c;
  c.z->producer->name = c.y->producer->name;
  expect_broken(c.b.graph(), "two nodes are named 'Relu_0'");
}

}  // namespace
}  // namespace kiln
