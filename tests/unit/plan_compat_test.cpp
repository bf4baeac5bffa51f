// Plans across versions of a pack (ABI 1.4): a plan built with version X loads with version Y of the same pack
// when X == Y, or when Y declares plan_compat_min <= X <= Y (semver, not text); otherwise the load is refused,
// naming the plan, the pack, both versions, the library and the range it declares. A pack version or range that
// is not a semver is refused when the library loads. Built with the versioned test plugins
// (tests/plugins/versioned_test_plugin.cpp): a 1.0.0 (no range), a1 1.1.0 (from 1.0.0), a10 1.10.0 (from 1.9.0),
// b 2.0.0 (from 2.0.0, another serialized state).
#include <gtest/gtest.h>

#include <filesystem>

#include "builder/builder.hpp"
#include "builder/plan_export.hpp"
#include "pass_test_support.hpp"
#include "planfile/plan_file.hpp"
#include "runtime/engine.hpp"
#include "runtime/plan_import.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

using testing::GraphBuilder;
using testing::random_floats;
using testing::test_plugin;

std::string versioned(const std::string& variant) { return test_plugin("kiln_test_versioned_" + variant); }

// A plan of x -> kiln.test::Scale -> y (attribute factor 3), built with the plugin at `library` and read back
// from its bytes.
PlanContents scale_plan(const std::string& library) {
  GraphBuilder b;
  b.graph().opsets["kiln.test"] = 1;
  Node* scale = b.node("Scale", {b.input("x", {2, 3})}, {"y"}, "kiln.test");
  scale->attributes["factor"].kind = KILN_ATTR_FLOAT;
  scale->attributes["factor"].f = 3.0f;
  b.output(scale->outputs[0]);
  PluginRegistry registry;
  registry.load(library);
  const BuildConfig config;
  const Engine built(build_engine_plan(b.take(), registry, config));
  return parse_plan(serialize_plan(export_plan(built.plan(), {})), "scale.plan");
}

// `plan` as if built with version `built` of its pack, loaded where the library `variant` now stands.
PlanContents moved(PlanContents plan, const std::string& variant, const std::string& built = "") {
  plan.plugins.at(0).library = versioned(variant);
  if (!built.empty()) plan.plugins.at(0).version = built;
  return plan;
}

// Loads `plan` in a fresh registry and checks y = 3 x.
void expect_runs(const PlanContents& plan) {
  PluginRegistry registry;
  const Engine engine(import_plan(plan, registry, "scale.plan"));
  const Tensor x = random_floats({2, 3}, 5);
  const Tensor y = engine.run({{"x", x}}).at("y");
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(y.as<float>()[i], 3.0f * x.as<float>()[i]);
}

// The message of loading `plan` in a fresh registry, which must fail.
std::string refusal(const PlanContents& plan) {
  PluginRegistry registry;
  try {
    import_plan(plan, registry, "scale.plan");
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "the plan loaded";
  return "";
}

std::string canonical(const std::string& path) { return std::filesystem::weakly_canonical(path).string(); }

TEST(PlanCompat, ThePlansOwnVersionRunsIt) {
  expect_runs(scale_plan(versioned("a")));
  expect_runs(scale_plan(versioned("b")));
}

TEST(PlanCompat, ANewerVersionRunsOlderPlansWithinItsRange) {
  const PlanContents plan = scale_plan(versioned("a"));
  ASSERT_EQ(plan.plugins.at(0).version, "1.0.0");
  expect_runs(moved(plan, "a1"));  // 1.1.0 reads 1.0.0's state
  expect_runs(moved(plan, "a1", "1.0.1-rc.1"));
}

TEST(PlanCompat, VersionsCompareAsSemverNotAsText) {
  const PlanContents plan = scale_plan(versioned("a"));
  expect_runs(moved(plan, "a10", "1.9.0"));        // "1.9.0" > "1.10.0" as text
  expect_runs(moved(plan, "a10", "1.9.12"));
  expect_runs(moved(plan, "a10", "1.10.0-rc.1"));  // a pre-release of 1.10.0 precedes it
  EXPECT_NE(refusal(moved(plan, "a10", "1.8.99")).find("runs plans from 1.9.0 on"), std::string::npos);
  EXPECT_NE(refusal(moved(plan, "a10", "1.10.1")).find("older than the plan's 1.10.1"), std::string::npos);
  EXPECT_NE(refusal(moved(plan, "a10", "1.9.0-rc.1")).find("runs plans from 1.9.0 on"), std::string::npos);
}

TEST(PlanCompat, AChangedStateRefusesOlderPlansNamingEverything) {
  const PlanContents plan = scale_plan(versioned("a"));
  EXPECT_EQ(refusal(moved(plan, "b")),
            "scale.plan: the plan was built with kiln.test.versioned 1.0.0; the loaded library " +
                canonical(versioned("b")) +
                " is version 2.0.0, which runs plans from 2.0.0 on (its serialized state changed in 2.0.0): rebuild "
                "the plan with this plugin or install version 1.0.0");
}

// The whole message for a plan built with `built` and the library `variant`, of version `version`, saying `why`.
std::string refused(const std::string& built, const std::string& variant, const std::string& version,
                    const std::string& why) {
  return "scale.plan: the plan was built with kiln.test.versioned " + built + "; the loaded library " +
         canonical(versioned(variant)) + " is version " + version + ", " + why +
         ": rebuild the plan with this plugin or install version " + built;
}

TEST(PlanCompat, AnOlderVersionRefusesNewerPlans) {
  EXPECT_EQ(refusal(moved(scale_plan(versioned("b")), "a1")),
            refused("2.0.0", "a1", "1.1.0", "older than the plan's 2.0.0 (it runs plans from 1.0.0 to 1.1.0)"));
  EXPECT_NE(refusal(moved(scale_plan(versioned("a")), "a1", "1.2.0")).find("older than the plan's 1.2.0"),
            std::string::npos);
}

TEST(PlanCompat, WithoutARangeOnlyTheSameVersionRunsThePlan) {
  EXPECT_EQ(refusal(moved(scale_plan(versioned("a1")), "a")),
            refused("1.1.0", "a", "1.0.0", "which runs only plans built with 1.0.0 (it declares no compatibility range)"));
  EXPECT_NE(refusal(moved(scale_plan(versioned("a")), "a", "0.9.0")).find("declares no compatibility range"),
            std::string::npos);
}

TEST(PlanCompat, APluginBuiltBeforeAbi14RunsOnlyItsOwnVersionsPlans) {
  PlanContents plan = scale_plan(test_plugin("kiln_test_frozen_v1"));
  ASSERT_EQ(plan.plugins.at(0).version, "1.0.0");
  plan.plugins.at(0).version = "0.9.0";
  const std::string message = refusal(plan);
  EXPECT_NE(message.find("built with kiln.test.frozen_v1 0.9.0"), std::string::npos) << message;
  EXPECT_NE(message.find("is version 1.0.0, which runs only plans built with 1.0.0"), std::string::npos) << message;
}

TEST(PlanCompat, APlanVersionThatIsNotASemverIsOutsideEveryRange) {
  const std::string message = refusal(moved(scale_plan(versioned("a")), "a1", "1.0"));
  EXPECT_NE(message.find("runs plans from 1.0.0 on, and the plan's '1.0' is not a semantic version"), std::string::npos)
      << message;
}

TEST(PlanCompat, AnotherPackUnderTheLibrarysNameIsRefused) {
  PlanContents plan = scale_plan(versioned("a"));
  plan.plugins.at(0).library = test_plugin("kiln_test_pack_a");
  const std::string message = refusal(plan);
  EXPECT_NE(message.find("the plan needs plugin kiln.test.versioned 1.0.0"), std::string::npos) << message;
  EXPECT_NE(message.find("is kiln.test.pack_a 1.0.0"), std::string::npos) << message;
}

TEST(PlanCompat, APackVersionOrRangeThatIsNotASemverIsRefusedAtLoad) {
  PluginRegistry registry;
  auto load_error = [&](const std::string& library) -> std::string {
    try {
      registry.load(library);
    } catch (const Error& e) {
      return e.what();
    }
    return "(it loaded)";
  };
  const std::string bad_version = load_error(versioned("bad_version"));
  EXPECT_NE(bad_version.find(canonical(versioned("bad_version"))), std::string::npos) << bad_version;
  EXPECT_NE(bad_version.find("has version '1.0', which is not a semantic version"), std::string::npos) << bad_version;
  const std::string bad_range = load_error(versioned("bad_range"));
  EXPECT_NE(bad_range.find(canonical(versioned("bad_range"))), std::string::npos) << bad_range;
  EXPECT_NE(bad_range.find("1.0.0 declares that it runs plans from version 1.2.0 on, which is newer than itself"),
            std::string::npos)
      << bad_range;
  EXPECT_TRUE(registry.libraries().empty());
}

TEST(PlanCompat, TheLibraryKnowsItsRange) {
  const std::vector<std::pair<std::string, std::string>> ranges = {
      {versioned("a1"), "1.0.0"}, {versioned("b"), "2.0.0"}, {versioned("a"), ""}, {test_plugin("kiln_test_frozen_v1"), ""},
      {test_plugin("kiln_test_short_desc"), ""}};  // ABI 1.4 with a 1.3-sized descriptor: the field is not read
  for (const auto& [library, plans_from] : ranges) {
    PluginRegistry registry;  // one each: the versions share kernel names
    EXPECT_EQ(registry.load(library).plan_compat_min(), plans_from) << library;
  }
}

}  // namespace
}  // namespace kiln
