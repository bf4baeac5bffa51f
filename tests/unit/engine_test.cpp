// The engine on hand-built graphs: kernel selection with reasons, run-time shape inference, plugin errors
// and exceptions surfacing as kiln::Error, input checks.
#include <gtest/gtest.h>

#include <random>

#include "runtime/engine.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

std::string test_plugin(const std::string& name) { return std::string(KILN_TEST_PLUGIN_DIR) + "/lib" + name + ".so"; }
std::string reference_pack() { return std::string(KILN_PLUGIN_DIR) + "/libkiln_cpu_reference.so"; }

// x -> <domain::op> -> y, float32[shape].
std::unique_ptr<Graph> single_node_graph(const std::string& domain, const std::string& op, std::vector<int64_t> dims,
                                         int opset = 13) {
  auto g = std::make_unique<Graph>();
  g->opsets[domain] = opset;
  Value* x = g->add_value("x");
  x->dtype = KILN_DTYPE_FLOAT32;
  x->has_shape = true;
  x->dims = dims;
  Value* y = g->add_value("y");
  auto node = std::make_unique<Node>();
  node->name = "the_node";
  node->op_type = op;
  node->domain = domain;
  node->opset = opset;
  node->inputs = {x};
  node->outputs = {y};
  g->add_node(std::move(node));
  g->inputs().push_back(x);
  g->outputs().push_back(y);
  return g;
}

Tensor random_tensor(std::vector<int64_t> dims, uint64_t seed) {
  Tensor t(KILN_DTYPE_FLOAT32, std::move(dims));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-2.f, 2.f);
  for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = dist(rng);
  return t;
}

BuildConfig cpu_config() { return BuildConfig{}; }

TEST(Engine, RunsReluThroughTheReferencePack) {
  PluginRegistry registry;
  registry.load(reference_pack());
  const BuildConfig config = cpu_config();
  Engine engine(single_node_graph("", "Relu", {2, 3, 5}), registry, config, EngineOptions{true});
  const Tensor x = random_tensor({2, 3, 5}, 1);
  const Tensor y = engine.run({{"x", x}}).at("y");
  ASSERT_EQ(y.dims(), x.dims());
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(y.as<float>()[i], std::max(0.f, x.as<float>()[i]));
  EXPECT_STREQ(engine.layers()[0].selection.chosen->desc->name, "kiln.cpu_ref.Relu");
}

TEST(Engine, RunsACustomOpFromTheFrozenV1CPlugin) {
  PluginRegistry registry;
  registry.load(test_plugin("kiln_test_frozen_v1"));
  auto graph = single_node_graph("kiln.test", "Scale", {4, 7}, 1);
  Attribute alpha;
  alpha.kind = KILN_ATTR_FLOAT;
  alpha.f = -1.5f;
  const_cast<Node*>(graph->nodes()[0].get())->attributes["alpha"] = alpha;
  const BuildConfig config = cpu_config();
  Engine engine(std::move(graph), registry, config);
  const Tensor x = random_tensor({4, 7}, 2);
  const Tensor y = engine.run({{"x", x}}).at("y");
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_FLOAT_EQ(y.as<float>()[i], -1.5f * x.as<float>()[i]);
}

TEST(Engine, UnknownOpNamesTheOpAndThePluginsSearched) {
  PluginRegistry registry;
  registry.load(reference_pack());
  const BuildConfig config = cpu_config();
  try {
    Engine engine(single_node_graph("", "Frobnicate", {1}), registry, config);
    FAIL() << "no error";
  } catch (const Unsupported& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("the_node"), std::string::npos) << message;
    EXPECT_NE(message.find("Frobnicate"), std::string::npos) << message;
    EXPECT_NE(message.find("kiln.cpu_reference"), std::string::npos) << message;
  }
}

TEST(Engine, DeclineReasonsAreRecorded) {
  PluginRegistry registry;
  registry.load(reference_pack());
  BuildConfig config = cpu_config();
  config.kernels.push_back(
      KernelPreference{"Relu", {"acme.*"}, {SourceLocation{"test.yaml", 3, 9}}, SourceLocation{"test.yaml", 3, 3}});
  try {
    Engine engine(single_node_graph("", "Relu", {1}), registry, config);
    FAIL() << "no error";
  } catch (const Unsupported& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("kiln.cpu_ref.Relu"), std::string::npos) << message;
    EXPECT_NE(message.find("preference list"), std::string::npos) << message;
    EXPECT_NE(message.find("test.yaml:3:9"), std::string::npos) << message;
  }
}

TEST(Engine, AThrowingKernelBecomesAnError) {
  PluginRegistry registry;
  registry.load(test_plugin("kiln_test_throwing"));
  const BuildConfig config = cpu_config();
  Engine engine(single_node_graph("kiln.test", "Throw", {3}, 1), registry, config);
  try {
    engine.run({{"x", random_tensor({3}, 3)}});
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("threw on purpose"), std::string::npos) << message;
    EXPECT_NE(message.find("kiln.test.thrower"), std::string::npos) << message;
  }
  // The engine survives and reports the same error again.
  EXPECT_THROW(engine.run({{"x", random_tensor({3}, 4)}}), Error);
}

TEST(Engine, AKernelReturningAnErrorStatusBecomesAnError) {
  PluginRegistry registry;
  registry.load(test_plugin("kiln_test_throwing"));
  const BuildConfig config = cpu_config();
  Engine engine(single_node_graph("kiln.test", "Fail", {3}, 1), registry, config);
  try {
    engine.run({{"x", random_tensor({3}, 3)}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("reports an error on purpose"), std::string::npos) << e.what();
  }
}

TEST(Engine, WrongInputsAreClearErrors) {
  PluginRegistry registry;
  registry.load(reference_pack());
  const BuildConfig config = cpu_config();
  Engine engine(single_node_graph("", "Relu", {2, 3}), registry, config);
  auto message = [&](const std::map<std::string, Tensor>& inputs) {
    try {
      engine.run(inputs);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({}).find("missing input 'x'"), std::string::npos);
  EXPECT_NE(message({{"x", random_tensor({2, 4}, 1)}}).find("expects float32[2,3], got float32[2,4]"),
            std::string::npos);
  EXPECT_NE(message({{"x", random_tensor({2, 3}, 1)}, {"z", random_tensor({1}, 1)}}).find("not an input"),
            std::string::npos);
  Tensor ints(KILN_DTYPE_INT64, {2, 3});
  EXPECT_NE(message({{"x", ints}}).find("got int64[2,3]"), std::string::npos);
}

}  // namespace
}  // namespace kiln
