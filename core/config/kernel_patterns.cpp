// Kernel-name patterns of the config's 'kernels' section: matching, and checking them against what is loaded.
#include <algorithm>

#include "config/build_config.hpp"
#include "config/spelling.hpp"
#include "util/error.hpp"

namespace kiln {

bool kernel_name_matches(const std::string& pattern, const std::string& name) {
  // Greedy scan; on a mismatch, let the last '*' swallow one more character and retry. Linear in practice,
  // O(pattern × name) at worst, never exponential.
  size_t p = 0, n = 0;
  size_t star = std::string::npos, star_n = 0;  // position of the last '*' seen, and where its match ends
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_n = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string::npos) {
      p = star + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& name : names) s += (s.empty() ? "" : ", ") + name;
  return s;
}

// What the user can do about a pattern that matches nothing: the nearest names, and where to see them all.
std::string hint(const BuildConfig& config, const std::string& pattern, const std::vector<std::string>& known) {
  if (known.empty()) return "no plugin offers any kernel";
  std::string stem = pattern;  // compare the literal part: 'kiln.cpu_ref.Cnv*' is near 'kiln.cpu_ref.Conv'
  stem.erase(std::remove(stem.begin(), stem.end(), '*'), stem.end());
  std::string listing = "kiln plugins";
  if (!config.path.empty()) listing += " --config " + config.path;
  return "close: " + joined(closest_names(stem, known, 3)) + "; `" + listing + "` lists all " +
         std::to_string(known.size());
}

}  // namespace

void validate_kernel_preferences(const BuildConfig& config, const std::vector<std::string>& known_kernel_names) {
  for (const KernelPreference& preference : config.kernels) {
    for (size_t i = 0; i < preference.patterns.size(); ++i) {
      const std::string& pattern = preference.patterns[i];
      const bool matches = std::any_of(known_kernel_names.begin(), known_kernel_names.end(),
                                       [&](const std::string& name) { return kernel_name_matches(pattern, name); });
      if (matches) continue;
      const SourceLocation where = i < preference.where.size() ? preference.where[i] : SourceLocation{config.path};
      throw Error(where.str() + ": no loaded kernel matches '" + pattern + "' (listed for '" + preference.op +
                  "'); " + hint(config, pattern, known_kernel_names));
    }
  }
}

void validate_kernel_ops(const BuildConfig& config, const std::vector<std::string>& known_ops) {
  for (const KernelPreference& preference : config.kernels) {
    if (preference.op == "*" || std::count(known_ops.begin(), known_ops.end(), preference.op)) continue;
    throw Error(preference.op_where.str() + ": no loaded kernel implements op '" + preference.op +
                "', so its preference list would never apply" + did_you_mean(preference.op, known_ops));
  }
}

}  // namespace kiln
