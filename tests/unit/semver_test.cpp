// Semantic versions: what parses, what does not, and precedence (numbers numerically, pre-releases first).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/semver.hpp"

namespace kiln {
namespace {

SemVer v(const std::string& text) {
  const std::optional<SemVer> parsed = parse_semver(text);
  EXPECT_TRUE(parsed) << "'" << text << "' should parse";
  return parsed.value_or(SemVer{});
}

TEST(SemVer, ParsesTheThreeNumbersAndTheLabels) {
  const SemVer plain = v("1.22.333");
  EXPECT_EQ(plain.major, 1u);
  EXPECT_EQ(plain.minor, 22u);
  EXPECT_EQ(plain.patch, 333u);
  EXPECT_TRUE(plain.prerelease.empty());
  const SemVer labelled = v("2.0.0-rc.1+build-7.x");
  EXPECT_EQ(labelled.prerelease, (std::vector<std::string>{"rc", "1"}));
  EXPECT_EQ(labelled.build, "build-7.x");
  EXPECT_EQ(v("0.0.0-alpha-beta").prerelease, std::vector<std::string>{"alpha-beta"});
  EXPECT_EQ(v("18446744073.0.0").major, 18446744073u);
}

TEST(SemVer, RefusesWhatIsNotOne) {
  for (const char* bad : {"", "1", "1.0", "1.0.0.0", "v1.0.0", "1.0.x", "01.0.0", "1.00.0", "1.0.-1", " 1.0.0",
                          "1.0.0 ", "1..0", "1.0.0-", "1.0.0-rc..1", "1.0.0-01", "1.0.0-r c", "1.0.0+", "1.0.0+a+b",
                          "1.0.0-é", "99999999999999999999.0.0", "1.0.0-rc.1+"})
    EXPECT_FALSE(parse_semver(bad)) << "'" << bad << "' should not parse";
}

// Each version precedes the next.
TEST(SemVer, OrdersByPrecedence) {
  const std::vector<std::string> ordered = {"0.9.9",          "1.0.0-alpha",   "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                            "1.0.0-beta",     "1.0.0-beta.2",  "1.0.0-beta.11", "1.0.0-rc.1",
                                            "1.0.0",          "1.0.1",         "1.2.0",         "1.9.0",
                                            "1.10.0",         "1.10.2",        "2.0.0",         "10.0.0"};
  for (size_t i = 0; i < ordered.size(); ++i)
    for (size_t j = 0; j < ordered.size(); ++j) {
      const int expected = i < j ? -1 : i > j ? 1 : 0;
      EXPECT_EQ(compare_semver(v(ordered[i]), v(ordered[j])), expected) << ordered[i] << " vs " << ordered[j];
    }
}

TEST(SemVer, BuildMetadataDoesNotOrder) {
  EXPECT_EQ(compare_semver(v("1.0.0+linux"), v("1.0.0+win")), 0);
  EXPECT_EQ(compare_semver(v("1.0.0-rc.1+a"), v("1.0.0-rc.1")), 0);
}

}  // namespace
}  // namespace kiln
