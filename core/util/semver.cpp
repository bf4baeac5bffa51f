#include "util/semver.hpp"

namespace kiln {

namespace {

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool is_identifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) return false;
  return true;
}

// A number as semver writes one: digits, no leading zero, small enough for 64 bits.
std::optional<uint64_t> number(std::string_view s) {
  if (!is_digits(s) || (s.size() > 1 && s[0] == '0') || s.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : s) value = value * 10 + static_cast<uint64_t>(c - '0');
  return value;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t end = s.find(separator, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

int compare_identifiers(const std::string& a, const std::string& b) {
  const bool a_number = is_digits(a), b_number = is_digits(b);
  if (a_number && b_number) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;  // no leading zeros: longer is larger
    return a.compare(b);
  }
  if (a_number != b_number) return a_number ? -1 : 1;
  return a.compare(b);
}

}  // namespace

std::optional<SemVer> parse_semver(std::string_view text) {
  SemVer v;
  if (const size_t plus = text.find('+'); plus != std::string_view::npos) {
    for (std::string_view id : split(text.substr(plus + 1), '.'))
      if (!is_identifier(id)) return std::nullopt;
    v.build = std::string(text.substr(plus + 1));
    text = text.substr(0, plus);
  }
  if (const size_t dash = text.find('-'); dash != std::string_view::npos) {
    for (std::string_view id : split(text.substr(dash + 1), '.')) {
      if (!is_identifier(id) || (is_digits(id) && !number(id))) return std::nullopt;
      v.prerelease.emplace_back(id);
    }
    text = text.substr(0, dash);
  }
  const std::vector<std::string_view> core = split(text, '.');
  if (core.size() != 3) return std::nullopt;
  const std::optional<uint64_t> major = number(core[0]), minor = number(core[1]), patch = number(core[2]);
  if (!major || !minor || !patch) return std::nullopt;
  v.major = *major;
  v.minor = *minor;
  v.patch = *patch;
  return v;
}

int compare_semver(const SemVer& a, const SemVer& b) {
  for (auto [x, y] : {std::pair{a.major, b.major}, std::pair{a.minor, b.minor}, std::pair{a.patch, b.patch}})
    if (x != y) return x < y ? -1 : 1;
  if (a.prerelease.empty() != b.prerelease.empty()) return a.prerelease.empty() ? 1 : -1;
  for (size_t i = 0; i < a.prerelease.size() && i < b.prerelease.size(); ++i)
    if (const int c = compare_identifiers(a.prerelease[i], b.prerelease[i])) return c < 0 ? -1 : 1;
  if (a.prerelease.size() != b.prerelease.size()) return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
  return 0;
}

}  // namespace kiln
