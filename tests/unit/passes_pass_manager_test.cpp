// The pass manager: passes in order with their summaries, the verifier after each, and the default pipeline
// with the config's switches.
#include <gtest/gtest.h>

#include <algorithm>

#include "pass_test_support.hpp"
#include "util/error.hpp"
#include "runtime/engine.hpp"

namespace kiln {
namespace {

using testing::count_ops;
using testing::floats;
using testing::GraphBuilder;

struct PipelineFixture : testing::PassFixture {
  PipelineFixture() : PassFixture({testing::reference_pack(), testing::test_plugin("kiln_test_passes")}) {}
};

// y = Relu(Identity(x) + Neg(w)), plus a branch nothing reads.
std::unique_ptr<Graph> small_model() {
  GraphBuilder b;
  Value* x = b.input("x", {3});
  Value* w = b.constant("w", floats({3}, {1.f, -2.f, 0.5f}));
  Value* copied = b.op("Identity", {x}, "copied");
  Value* negated = b.op("Neg", {w}, "negated");
  b.op("Sigmoid", {copied}, "unused");
  b.output(b.op("Relu", {b.op("Add", {copied, negated}, "sum")}, "y"));
  return b.take();
}

TEST(PassManager, RunsPassesInOrderAndReturnsTheirSummaries) {
  testing::PassFixture f(std::vector<std::string>{});
  GraphBuilder b;
  b.output(b.input("x", {1}));
  std::vector<std::string> order;
  PassManager manager;
  manager.add({"first", [&](Graph&, const PassContext&) { order.push_back("first"); return std::string("did a"); }});
  manager.add({"second", [&](Graph&, const PassContext&) { order.push_back("second"); return std::string("did b"); }});
  EXPECT_EQ(manager.run(b.graph(), f.context), (std::vector<std::string>{"first: did a", "second: did b"}));
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second"}));
}

TEST(PassManager, NamesThePassThatBrokeTheGraph) {
  testing::PassFixture f(std::vector<std::string>{});
  GraphBuilder b;
  Value* x = b.input("x", {1});
  b.output(b.op("Relu", {x}, "y"));
  PassManager manager;
  manager.add({"careless", [](Graph& g, const PassContext&) {
                 g.nodes().front()->inputs[0]->consumers.clear();  // forgets an edge
                 return std::string("oops");
               }});
  try {
    manager.run(b.graph(), f.context);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("after pass 'careless'"), std::string::npos) << e.what();
  }
}

TEST(PassManager, DefaultPassesSimplifyAndKeepResults) {
  PipelineFixture f;
  auto graph = small_model();
  const std::vector<std::string> summaries = run_default_passes(*graph, f.context);
  EXPECT_EQ(summaries, (std::vector<std::string>{
                           "identity removal: 1 identity nodes removed",
                           "constant folding: 1 nodes folded into 1 constants",
                           "dead-code elimination: 1 nodes and 3 values removed",
                           "pattern fusion: 2 nodes fused into 1 (1 AddAct)",
                           "horizontal fusion: 0 sibling nodes merged into 0",
                           "dead-code elimination: 0 nodes and 0 values removed",
                       }));
  ASSERT_EQ(graph->nodes().size(), 1u);
  EXPECT_EQ(graph->nodes().front()->op_type, "AddAct");

  Engine engine(std::move(graph), f.registry, f.config);
  const Tensor y = engine.run({{"x", floats({3}, {2.f, -3.f, 0.25f})}}).at("y");
  const std::vector<float> expected = {1.f, 0.f, 0.f};  // relu(x - w)
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_FLOAT_EQ(y.as<float>()[i], expected[i]);
}

TEST(PassManager, SwitchedOffPassesDoNotRun) {
  PipelineFixture f;
  f.config.optimize.fusion = false;
  f.config.optimize.horizontal_fusion = false;
  f.config.optimize.identity_removal = false;
  auto graph = small_model();
  const std::vector<std::string> summaries = run_default_passes(*graph, f.context);
  ASSERT_EQ(summaries.size(), 3u);
  EXPECT_EQ(summaries[0].rfind("constant folding", 0), 0u);
  EXPECT_EQ(count_ops(*graph, "Identity"), 1u);
  EXPECT_EQ(count_ops(*graph, "AddAct"), 0u);
}

TEST(PassManager, Int8BuildsKeepSiblingConvolutionsApart) {
  PipelineFixture f;
  f.config.precision = "int8";
  auto graph = small_model();
  const std::vector<std::string> summaries = run_default_passes(*graph, f.context);
  for (const std::string& line : summaries) EXPECT_EQ(line.rfind("horizontal fusion", 0), std::string::npos) << line;
  EXPECT_EQ(summaries.size(), 5u);
}

}  // namespace
}  // namespace kiln
