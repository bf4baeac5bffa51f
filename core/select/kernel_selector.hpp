// Kernel selection: for each node, the loaded kernels that match its op, opset, device, dtypes and layouts and
// whose constraint check accepts it, ordered by the config's preference list. Every decline has a reason.
#ifndef KILN_CORE_KERNEL_SELECTOR_HPP
#define KILN_CORE_KERNEL_SELECTOR_HPP

#include <string>
#include <vector>

#include "config/build_config.hpp"
#include "ir/graph.hpp"
#include "plugin/plugin_registry.hpp"

namespace kiln {

struct Decline {
  std::string kernel;
  std::string reason;
};

struct Selection {
  const KernelEntry* chosen = nullptr;  // nullptr when none could run the node
  std::vector<Decline> declined;        // every other kernel that was considered, and why it lost
};

class KernelSelector {
 public:
  // Kernels for the config's device are candidates, and CPU kernels as the fallback (the builder inserts copies
  // where a layer's device changes); `device_override` selects for another device (constant folding: the CPU).
  KernelSelector(const PluginRegistry& registry, const BuildConfig& config);
  KernelSelector(const PluginRegistry& registry, const BuildConfig& config, kiln_device device_override);
  kiln_device device() const { return device_; }

  // Picks the kernel for `node` from what is known of its inputs now. Never throws for a decline.
  Selection select(const Node& node) const;
  // Every kernel that would accept `node`, in preference order (what auto-tuning times).
  std::vector<const KernelEntry*> accepting(const Node& node) const;

  // Throws kiln::Unsupported naming the node, the op and the plugins searched (with decline reasons).
  [[noreturn]] void fail(const Node& node, const Selection& selection) const;

 private:
  // Why `kernel` cannot run `node`, or "" when it can.
  std::string mismatch(const kiln_kernel_desc& kernel, const Node& node) const;
  std::vector<const KernelEntry*> ordered_candidates(const Node& node, Selection& result) const;
  std::string check_reason(const KernelEntry& entry, const Node& node) const;
  // The config's preference list for the node's op, or nullptr when none applies.
  const KernelPreference* preference_for(const Node& node) const;

  const PluginRegistry& registry_;
  const BuildConfig& config_;
  kiln_device device_;
};

}  // namespace kiln

#endif  // KILN_CORE_KERNEL_SELECTOR_HPP
