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

// How a kernel's cases are drawn: as the float op's; as its INT8 form (a KILN_KERNEL_QUANTIZED kernel, against
// the reference's INT8 kernel); every other case on one grid shared by its integer inputs and output (a
// KILN_KERNEL_QUANT_PASSTHROUGH kernel, whose bytes must then be the reference's); or, for a QUANTIZED kernel of
// an op the reference has no INT8 kernel for, every other case (every case, without floats) on int8/uint8
// grids against the reference's float kernel between them (DequantizeLinear -> op -> QuantizeLinear).
enum class CaseMode { Float, Int8, SharedGrid, FloatChain };

// Everything fixed for one kernel while its cases run.
struct KernelUnderCheck {
  const KernelEntry& kernel;
  const PluginRegistry& references;
  const KernelEntry* reference;      // for the kernel's op (for a fused kernel: its first step's op)
  const CaseGenerator* generator;    // likewise
  std::optional<DeviceApi> device;
  int opset_min, opset_max;
  std::vector<uint64_t> inputs, outputs;  // dtypes both accept
  CaseMode mode = CaseMode::Float;
};

// The reference pack's plain CPU kernel for an op at some opset in [min, max], or nullptr.
const KernelEntry* reference_kernel(const PluginRegistry& references, const std::string& domain,
                                    const std::string& op_type, int opset_min, int opset_max);

// The reference pack's INT8 (KILN_KERNEL_QUANTIZED) CPU kernel for an op, a fused-pattern one (`fused`, found
// by the fused op's name) or a plain one, at some opset in [min, max]; or nullptr.
const KernelEntry* reference_int8_kernel(const PluginRegistry& references, const std::string& domain,
                                         const std::string& op_type, bool fused, int opset_min, int opset_max);

// What the reference computed for a case, or why it could not.
struct ReferenceRun {
  std::string declined;  // "" when it ran
  std::vector<OutputShape> shapes;
  std::vector<Tensor> outputs;
};
ReferenceRun run_reference(const KernelEntry& reference, CaseGraph& graph);

// The checked kernel on a case the reference ran (`shapes`, `expected`): with its values linear, and stored NHWC
// where it accepts that (left linear after).
CaseResult run_checked(const KernelUnderCheck& k, CaseGraph& graph, const std::vector<OutputShape>& shapes,
                       const std::vector<Tensor>& expected);

// A plain kernel's case.
CaseResult run_case(const KernelUnderCheck& k, const Case& c);
// A fused-pattern kernel's case: drawn step by step into `chain` (for the report) and run.
CaseResult run_fused_case(const KernelUnderCheck& k, CaseContext& ctx, FusedCase& chain);

// The steps of a fused case drawn into `chain`, each run on the reference (`step_shapes`: their outputs;
// `last`: the last step's values). With `int8`, the first step is the op's INT8 form, run by the reference's
// plain INT8 kernel into float32 reals. Returns why the case is declined, or "".
std::string draw_fused_steps(const KernelUnderCheck& k, CaseContext& ctx, bool int8, FusedCase& chain,
                             std::vector<std::vector<OutputShape>>& step_shapes, std::vector<Tensor>& last);

// INT8 cases (int8_case_run.cpp). A plain INT8 kernel's case `c` (drawn by its INT8 generator), whose output
// dtype and grid are drawn here; a fused INT8 kernel's, drawn into `chain`; a pass-through kernel's, drawn
// into `c` with its integers and output on one grid.
CaseResult run_int8_case(const KernelUnderCheck& k, CaseContext& ctx, Case& c);
CaseResult run_int8_fused_case(const KernelUnderCheck& k, CaseContext& ctx, FusedCase& chain);
CaseResult run_shared_grid_case(const KernelUnderCheck& k, CaseContext& ctx, Case& c);
// A FloatChain kernel's quantized case, drawn into `c`: input 0 and output 0 on int8/uint8 grids, the expected
// integers the reference's float result on output 0's grid (within one step).
CaseResult run_float_chain_case(const KernelUnderCheck& k, CaseContext& ctx, Case& c);

}  // namespace kiln::check

#endif  // KILN_CHECK_CASE_RUN_HPP
