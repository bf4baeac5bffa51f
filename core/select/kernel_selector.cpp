#include "select/kernel_selector.hpp"

#include <algorithm>

#include "ir/dtype.hpp"
#include "plugin/host_api.hpp"
#include "select/kernel_match.hpp"
#include "select/pattern_steps.hpp"
#include "util/error.hpp"

namespace kiln {

namespace {

kiln_device parse_device(const std::string& device) { return device == "cuda" ? KILN_DEVICE_CUDA : KILN_DEVICE_CPU; }

}  // namespace

KernelSelector::KernelSelector(const PluginRegistry& registry, const BuildConfig& config)
    : KernelSelector(registry, config, parse_device(config.device)) {}

KernelSelector::KernelSelector(const PluginRegistry& registry, const BuildConfig& config, kiln_device device_override)
    : registry_(registry), config_(config), device_(device_override) {}

const KernelPreference* KernelSelector::preference_for(const Node& node) const {
  const std::string label = op_label(node.domain, node.op_type);
  const KernelPreference* wildcard = nullptr;
  for (const KernelPreference& p : config_.kernels) {
    if (p.op == label || (node.domain.empty() && p.op == node.op_type)) return &p;
    if (p.op == "*") wildcard = &p;
  }
  return wildcard;
}

std::string KernelSelector::mismatch(const kiln_kernel_desc& k, const Node& node) const {
  // A fused node (one with pattern steps) runs only on a fused-pattern kernel whose steps its nodes fit, and
  // a plain node only on a plain kernel.
  const bool fused_node = !node.pattern.empty();
  if (k.pattern_length > 0 && !fused_node) return "is a fused-pattern kernel";
  if (k.pattern_length == 0 && fused_node) return "is not a fused-pattern kernel";
  if (k.op_type != node.op_type || k.domain != node.domain) return "implements " + op_label(k.domain, k.op_type);
  if (fused_node && !steps_fit_pattern(k, node.pattern)) return "fuses another pattern: " + describe_pattern(k);
  if (node.opset < k.opset_min || node.opset > k.opset_max)
    return "implements opsets " + std::to_string(k.opset_min) + "-" + std::to_string(k.opset_max) +
           ", the model uses " + std::to_string(node.opset);
  if (k.device != device_ && k.device != KILN_DEVICE_CPU)
    return device_ == KILN_DEVICE_CPU ? "runs on a device, not on the CPU" : "runs on another device than the config's '" + config_.device + "'";
  return io_mismatch(k, node);
}

// The kernels of the node's op that match it, in preference order; the others go to `declined` with the reason.
std::vector<const KernelEntry*> KernelSelector::ordered_candidates(const Node& node, Selection& result) const {
  const KernelPreference* preference = preference_for(node);
  // Rank of a kernel in the preference list (lower wins); kernels no pattern names are not allowed.
  auto rank_of = [&](const std::string& name) -> size_t {
    if (!preference) return 0;
    for (size_t i = 0; i < preference->patterns.size(); ++i)
      if (kernel_name_matches(preference->patterns[i], name)) return i;
    return SIZE_MAX;
  };
  std::vector<std::pair<size_t, const KernelEntry*>> candidates;
  for (const KernelEntry& entry : registry_.kernels()) {
    const kiln_kernel_desc& k = *entry.desc;
    if (k.op_type != node.op_type || k.domain != node.domain) continue;  // other ops are not candidates
    std::string why = mismatch(k, node);
    const size_t rank = rank_of(k.name);
    if (why.empty() && rank == SIZE_MAX)
      why = "is not in the config's kernel preference list for '" + preference->op + "' (" +
            (preference->where.empty() ? std::string("config") : preference->where.front().str()) + ")";
    if (!why.empty()) result.declined.push_back({k.name, why});
    else candidates.emplace_back(rank, &entry);
  }
  // Equal preference: the config's device before the CPU fallback.
  auto on_fallback = [&](const KernelEntry* e) { return e->desc->device != device_; };
  std::stable_sort(candidates.begin(), candidates.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return !on_fallback(a.second) && on_fallback(b.second);
  });
  std::vector<const KernelEntry*> ordered;
  for (const auto& candidate : candidates) ordered.push_back(candidate.second);
  return ordered;
}

// "" when the kernel's constraint check accepts the node, else why not.
std::string KernelSelector::check_reason(const KernelEntry& entry, const Node& node) const {
  const CheckVerdict verdict = check_node(*entry.desc, node);
  if (verdict.kind == CheckVerdict::Failed) return "constraint check failed: " + verdict.reason;
  return verdict.reason;
}

Selection KernelSelector::select(const Node& node) const {
  Selection result;
  for (const KernelEntry* entry : ordered_candidates(node, result)) {
    if (result.chosen) {
      result.declined.push_back({entry->desc->name, "ranked after " + std::string(result.chosen->desc->name)});
      continue;
    }
    const std::string why = check_reason(*entry, node);
    if (why.empty()) result.chosen = entry;
    else result.declined.push_back({entry->desc->name, why});
  }
  return result;
}

std::vector<const KernelEntry*> KernelSelector::accepting(const Node& node) const {
  Selection ignored;
  std::vector<const KernelEntry*> accepted;
  for (const KernelEntry* entry : ordered_candidates(node, ignored))
    if (check_reason(*entry, node).empty()) accepted.push_back(entry);
  return accepted;
}

void KernelSelector::fail(const Node& node, const Selection& selection) const {
  std::string message = node.label() + ": ";
  if (selection.declined.empty()) {
    message += "no kernel implements op '" + op_label(node.domain, node.op_type) + "' (opset " +
               std::to_string(node.opset) + ", device " + config_.device + "); plugins searched: " +
               registry_.describe_libraries();
  } else {
    message += "no loaded kernel accepts it:";
    for (const Decline& d : selection.declined) message += "\n  " + d.kernel + ": " + d.reason;
  }
  throw Unsupported(message);
}

}  // namespace kiln
