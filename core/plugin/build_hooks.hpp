// What a kernel may tell the builder while it is checked or created (ABI 1.2): timing-cache lookups and
// stores (tuning_get / tuning_put) and notes about what it decided (node_note). The builder makes the hooks
// active on its thread for the duration of a build; outside a build the host API calls do nothing.
#ifndef KILN_CORE_BUILD_HOOKS_HPP
#define KILN_CORE_BUILD_HOOKS_HPP

#include <map>
#include <string>
#include <vector>

#include "ir/graph.hpp"

namespace kiln {

class TuningCache;

struct BuildHooks {
  TuningCache* cache = nullptr;                          // nullptr: no cache file, lookups miss, stores are kept in memory only
  std::map<const Node*, std::vector<std::string>> notes;  // node_note lines, by node
  std::map<std::string, std::string> used;  // the timing-cache entries kernels found or stored (kept in the plan)
};

// Makes `hooks` the calling thread's active hooks until destroyed.
class ScopedBuildHooks {
 public:
  explicit ScopedBuildHooks(BuildHooks& hooks);
  ~ScopedBuildHooks();
  ScopedBuildHooks(const ScopedBuildHooks&) = delete;
  ScopedBuildHooks& operator=(const ScopedBuildHooks&) = delete;

 private:
  BuildHooks* previous_;
};

// The calling thread's active hooks, or nullptr.
BuildHooks* active_build_hooks();

}  // namespace kiln

#endif  // KILN_CORE_BUILD_HOOKS_HPP
