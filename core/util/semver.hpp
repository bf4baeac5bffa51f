// Semantic versions (semver.org 2.0.0): "MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]", parsed and ordered by
// precedence, so that 1.10.0 > 1.9.0 and 2.0.0-rc.1 < 2.0.0. Plan loading compares pack versions with it.
#ifndef KILN_CORE_SEMVER_HPP
#define KILN_CORE_SEMVER_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

struct SemVer {
  uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;  // the dot-separated identifiers after '-'; empty for a release
  std::string build;                    // after '+'; ignored by precedence
};

// The version `text` spells, or nothing when it is not one: three numbers without leading zeros, each
// identifier of [0-9A-Za-z-] and non-empty, numeric pre-release identifiers without leading zeros.
std::optional<SemVer> parse_semver(std::string_view text);

// Negative, zero or positive as `a` precedes, equals or follows `b`: numbers numerically, then a pre-release
// before its release, then pre-release identifiers one by one (numbers numerically and before words, words in
// ASCII order; a shorter list first when all else is equal). Build metadata is ignored.
int compare_semver(const SemVer& a, const SemVer& b);

}  // namespace kiln

#endif  // KILN_CORE_SEMVER_HPP
