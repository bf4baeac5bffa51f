// Packs side by side in one process (tests/plugins/pack_test_plugin.cpp): two packs offering the same op, where
// the config's preference list decides (one pack, then the other, as the plan file records it); and packs built
// by two C++ compilers (g++ and clang++) running one model together.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <tuple>

#include "builder/builder.hpp"
#include "builder/plan_export.hpp"
#include "pass_test_support.hpp"
#include "planfile/plan_file.hpp"
#include "runtime/engine.hpp"
#include "runtime/load_engine.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

using testing::GraphBuilder;
using testing::random_floats;
using testing::test_plugin;

// x -> kiln.test::<op> -> ... -> y, float32[2, 5].
std::unique_ptr<Graph> chain(const std::vector<std::string>& ops) {
  GraphBuilder b;
  b.graph().opsets["kiln.test"] = 1;
  Value* v = b.input("x", {2, 5});
  for (size_t i = 0; i < ops.size(); ++i) v = b.op(ops[i], {v}, i + 1 == ops.size() ? "y" : "v" + std::to_string(i), "kiln.test");
  b.output(v);
  return b.take();
}

// Runs `engine` on random x and checks that y is x multiplied by each factor in turn.
void expect_multiplies(const Engine& engine, std::vector<float> factors) {
  const Tensor x = random_floats({2, 5}, 9);
  const Tensor y = engine.run({{"x", x}}).at("y");
  for (int64_t i = 0; i < x.numel(); ++i) {
    float expected = x.as<float>()[i];
    for (float factor : factors) expected = factor * expected;
    EXPECT_EQ(y.as<float>()[i], expected) << "element " << i;
  }
}

// Packs a (x3) and b (x5) both offer kiln.test::Scale. The config, written as a user writes one, lists both
// packs and a preference for the op; the plan keeps the kernel it chose, and a plan file loads only that pack.
struct Preference {
  std::string list;      // the YAML list for kiln.test::Scale
  std::string kernel;    // what must run
  std::string pack;
  float factor;
};

TEST(PacksSideBySide, TheConfigsPreferenceListChoosesBetweenTwoPacksOfferingOneOp) {
  const std::vector<Preference> cases = {
      {"[kiln.test.pack_b.*, kiln.test.pack_a.*]", "kiln.test.pack_b.Scale", "kiln.test.pack_b", 5.0f},
      {"[kiln.test.pack_a.*, kiln.test.pack_b.*]", "kiln.test.pack_a.Scale", "kiln.test.pack_a", 3.0f},
      {"[kiln.test.pack_b.Scale]", "kiln.test.pack_b.Scale", "kiln.test.pack_b", 5.0f},
  };
  for (const Preference& c : cases) {
    SCOPED_TRACE(c.list);
    const BuildConfig config = parse_build_config("plugins:\n  - " + test_plugin("kiln_test_pack_a") + "\n  - " +
                                                      test_plugin("kiln_test_pack_b") + "\nkernels:\n  kiln.test::Scale: " +
                                                      c.list + "\n",
                                                  "packs.yaml");
    PluginRegistry registry;
    registry.load_all(config);
    ASSERT_EQ(registry.libraries().size(), 2u);
    validate_kernel_preferences(config, registry.kernel_names());
    const Engine engine(build_engine_plan(chain({"Scale"}), registry, config));
    ASSERT_EQ(engine.layers().size(), 1u);
    EXPECT_STREQ(engine.layers()[0].selection.chosen->desc->name, c.kernel.c_str());
    expect_multiplies(engine, {c.factor});

    // The plan file names the kernel and its pack, and running it loads that pack alone.
    const std::string path = (std::filesystem::path(::testing::TempDir()) / "packs_side_by_side.plan").string();
    write_plan_file(export_plan(engine.plan(), {}), path);
    const PlanContents plan = read_plan_file(path);
    ASSERT_EQ(plan.nodes.size(), 1u);
    EXPECT_EQ(plan.nodes[0].kernel, c.kernel);
    ASSERT_EQ(plan.plugins.size(), 1u);
    EXPECT_EQ(plan.plugins.at(static_cast<size_t>(plan.nodes[0].plugin)).name, c.pack);
    PluginRegistry loading;
    const std::unique_ptr<Engine> from_file = load_plan_engine(path, loading);
    EXPECT_EQ(loading.libraries().size(), 1u);
    expect_multiplies(*from_file, {c.factor});
  }
}

// Without a preference list the first loaded pack's kernel runs.
TEST(PacksSideBySide, WithoutAPreferenceTheLoadOrderDecides) {
  for (const auto& [first, second, factor] :
       {std::tuple{"kiln_test_pack_a", "kiln_test_pack_b", 3.0f}, std::tuple{"kiln_test_pack_b", "kiln_test_pack_a", 5.0f}}) {
    PluginRegistry registry;
    registry.load(test_plugin(first));
    registry.load(test_plugin(second));
    const BuildConfig config;
    expect_multiplies(Engine(build_engine_plan(chain({"Scale"}), registry, config)), {factor});
  }
}

// pack a, built by the build's compiler, offers Scale (x3); pack other, built by the other C++ compiler
// (clang++ where the build uses g++), offers Rescale (x7). One model runs through both, and an exception thrown
// inside the other compiler's library comes back as an error naming it.
TEST(PacksSideBySide, PacksBuiltByTwoCompilersRunOneModel) {
#ifndef KILN_TEST_OTHER_CXX
  GTEST_SKIP() << "no second C++ compiler (clang++ where the build uses g++, g++ where it uses clang++) was found "
                  "when the build was configured, so the test plugin kiln_test_pack_other was not built and plugins "
                  "of two compilers in one process are NOT tested here (set -DKILN_OTHER_CXX=/path/to/compiler)";
#else
#if defined(__clang__)
  const char* const ours = "built with clang";
  const char* const other = "built with GCC";
#else
  const char* const ours = "built with GCC";
  const char* const other = "built with clang";
#endif
  PluginRegistry registry;
  const PluginLibrary& a = registry.load(test_plugin("kiln_test_pack_a"));
  const PluginLibrary& b = registry.load(test_plugin("kiln_test_pack_other"));
  EXPECT_NE(a.description().find(ours), std::string::npos) << a.description();
  EXPECT_NE(b.description().find(other), std::string::npos)
      << b.description() << " (built by " << KILN_TEST_OTHER_CXX << ")";
  const BuildConfig config;
  const Engine engine(build_engine_plan(chain({"Scale", "Rescale"}), registry, config));
  ASSERT_EQ(engine.layers().size(), 2u);
  EXPECT_STREQ(engine.layers()[0].selection.chosen->desc->name, "kiln.test.pack_a.Scale");
  EXPECT_STREQ(engine.layers()[1].selection.chosen->desc->name, "kiln.test.pack_other.Rescale");
  expect_multiplies(engine, {3.0f, 7.0f});

  Tensor x = random_floats({2, 5}, 10);
  x.as<float>()[3] = std::numeric_limits<float>::quiet_NaN();
  const Engine rescale_only(build_engine_plan(chain({"Rescale"}), registry, config));
  try {
    rescale_only.run({{"x", x}});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pack other"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("got a NaN"), std::string::npos) << e.what();
  }
  expect_multiplies(engine, {3.0f, 7.0f});  // both libraries still work
#endif
}

}  // namespace
}  // namespace kiln
