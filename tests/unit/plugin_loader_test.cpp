// Loading plugins: the reference pack, a C plugin built against the frozen v1.0 headers, and every way a
// library can be wrong (missing, not a plugin, another ABI, failing entry, duplicate kernel names).
#include <gtest/gtest.h>

#include <string>

#include "plugin/plugin_registry.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

std::string test_plugin(const std::string& name) { return std::string(KILN_TEST_PLUGIN_DIR) + "/lib" + name + ".so"; }
std::string reference_pack() { return std::string(KILN_PLUGIN_DIR) + "/libkiln_cpu_reference.so"; }

// The message of the kiln::Error that `fn` throws.
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no kiln::Error was thrown";
  return "";
}

TEST(PluginLoader, LoadsTheReferencePack) {
  PluginRegistry registry;
  const PluginLibrary& lib = registry.load(reference_pack());
  EXPECT_EQ(lib.name(), "kiln.cpu_reference");
  EXPECT_EQ(lib.abi_version(), KILN_ABI_VERSION);
  ASSERT_NE(registry.find("kiln.cpu_ref.Relu"), nullptr);
  EXPECT_STREQ(registry.find("kiln.cpu_ref.Relu")->desc->op_type, "Relu");
}

TEST(PluginLoader, LoadsACPluginBuiltAgainstTheFrozenV1Headers) {
  PluginRegistry registry;
  const PluginLibrary& lib = registry.load(test_plugin("kiln_test_frozen_v1"));
  EXPECT_EQ(lib.name(), "kiln.test.frozen_v1");
  EXPECT_EQ(lib.abi_version(), KILN_MAKE_ABI_VERSION(1, 0));
  ASSERT_NE(registry.find("kiln.test.c_scale"), nullptr);
}

TEST(PluginLoader, LoadingTheSameLibraryTwiceIsHarmless) {
  PluginRegistry registry;
  registry.load(reference_pack());
  registry.load(reference_pack());
  EXPECT_EQ(registry.libraries().size(), 1u);
}

TEST(PluginLoader, MissingLibraryPassesOnTheLoadersText) {
  PluginRegistry registry;
  const std::string message = error_of([&] { registry.load("/nonexistent/libnothing.so"); });
  EXPECT_NE(message.find("/nonexistent/libnothing.so"), std::string::npos) << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

TEST(PluginLoader, FileThatIsNotALibrary) {
  PluginRegistry registry;
  const std::string message = error_of([&] { registry.load(std::string(KILN_SOURCE_DIR) + "/CMakeLists.txt"); });
  EXPECT_NE(message.find("cannot load plugin library"), std::string::npos) << message;
  EXPECT_NE(message.find("CMakeLists.txt"), std::string::npos) << message;
}

TEST(PluginLoader, LibraryWithoutTheEntrySymbol) {
  PluginRegistry registry;
  const std::string message = error_of([&] { registry.load(test_plugin("kiln_test_not_a_plugin")); });
  EXPECT_NE(message.find("not a kiln plugin"), std::string::npos) << message;
  EXPECT_NE(message.find("kiln_plugin_entry"), std::string::npos) << message;
}

TEST(PluginLoader, OtherAbiMajorVersionIsRefusedNamingBothVersions) {
  PluginRegistry registry;
  const std::string path = test_plugin("kiln_test_wrong_abi");
  const std::string message = error_of([&] { registry.load(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("ABI 2.0"), std::string::npos) << message;
  const std::string ours = "ABI " + std::to_string(KILN_ABI_VERSION_MAJOR) + "." + std::to_string(KILN_ABI_VERSION_MINOR);
  EXPECT_NE(message.find(ours), std::string::npos) << message;
  EXPECT_TRUE(registry.libraries().empty());
}

TEST(PluginLoader, FailingEntryPointReportsThePluginsMessage) {
  PluginRegistry registry;
  const std::string message = error_of([&] { registry.load(test_plugin("kiln_test_failing_entry")); });
  EXPECT_NE(message.find("entry fails on purpose"), std::string::npos) << message;
}

TEST(PluginLoader, DuplicateKernelNamesNameBothLibraries) {
  PluginRegistry registry;
  registry.load(reference_pack());
  const std::string message = error_of([&] { registry.load(test_plugin("kiln_test_duplicate")); });
  EXPECT_NE(message.find("kiln.cpu_ref.Relu"), std::string::npos) << message;
  EXPECT_NE(message.find("libkiln_cpu_reference.so"), std::string::npos) << message;
  EXPECT_NE(message.find("libkiln_test_duplicate.so"), std::string::npos) << message;
  EXPECT_EQ(registry.libraries().size(), 1u);  // the offending library was not added
}

TEST(PluginLoader, ConfigEntryNotFoundNamesTheSearchPath) {
  PluginEntry entry;
  entry.spec = "kiln_no_such_pack";
  const std::string message = error_of([&] { resolve_plugin(entry); });
  EXPECT_NE(message.find("libkiln_no_such_pack.so"), std::string::npos) << message;
  EXPECT_NE(message.find("KILN_PLUGIN_PATH"), std::string::npos) << message;
}

}  // namespace
}  // namespace kiln
