// One case of one kernel, run: the reference's outputs for it (what the reference cannot run is no case), then
// the checked kernel's, matched, checked and run in every variant that applies, and compared. Plain cases in
// case_run.cpp, fused-pattern chains in fused_case_run.cpp.
#ifndef KILN_CHECK_CASE_RUN_HPP
#define KILN_CHECK_CASE_RUN_HPP

#include <optional>
#include <string>
#include <vector>

#include "case_context.hpp"
#include "case_generators.hpp"
#include "check_case.hpp"
#include "plugin/plugin_registry.hpp"
#include "runtime/device_api.hpp"

namespace kiln::check {

// What one case came to.
struct CaseResult {
  enum Kind { Compared, Declined, Failed };
  Kind kind = Compared;
  std::string text;  // the decline's reason or the failure
  double worst_abs = 0, worst_rel = 0;
};

inline CaseResult declined(std::string why) { return {CaseResult::Declined, std::move(why)}; }
inline CaseResult failed(std::string why) { return {CaseResult::Failed, std::move(why)}; }

// Everything fixed for one kernel while its cases run.
struct KernelUnderCheck {
  const KernelEntry& kernel;
  const PluginRegistry& references;
  const KernelEntry* reference;      // for the kernel's op (for a fused kernel: its first step's op)
  const CaseGenerator* generator;    // likewise
  std::optional<DeviceApi> device;
  int opset_min, opset_max;
  std::vector<uint64_t> inputs, outputs;  // dtypes both accept
};

// The reference pack's plain CPU kernel for an op at some opset in [min, max], or nullptr.
const KernelEntry* reference_kernel(const PluginRegistry& references, const std::string& domain,
                                    const std::string& op_type, int opset_min, int opset_max);

// What the reference computed for a case, or why it could not.
struct ReferenceRun {
  std::string declined;  // "" when it ran
  std::vector<OutputShape> shapes;
  std::vector<Tensor> outputs;
};
ReferenceRun run_reference(const KernelEntry& reference, CaseGraph& graph);

// The checked kernel on a case the reference ran (`shapes`, `expected`).
CaseResult run_checked(const KernelUnderCheck& k, const CaseGraph& graph, const std::vector<OutputShape>& shapes,
                       const std::vector<Tensor>& expected);

// A plain kernel's case.
CaseResult run_case(const KernelUnderCheck& k, const Case& c);
// A fused-pattern kernel's case: drawn step by step into `chain` (for the report) and run.
CaseResult run_fused_case(const KernelUnderCheck& k, CaseContext& ctx, FusedCase& chain);

}  // namespace kiln::check

#endif  // KILN_CHECK_CASE_RUN_HPP
