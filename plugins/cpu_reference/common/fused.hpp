// What the fused kernels (ops/fused_*.cpp) share: the steps of a fused node, where each step's inputs sit
// among the fused node's inputs, and the spec every fused kernel starts from.
//
// Input convention (kiln/plugin.h): a fused node's inputs are, step by step in pattern order, each step's input
// positions (omitted optional ones included, as node_num_inputs counts them) except the one chained to the
// previous step's output. Optional steps absent from the match contribute nothing, and are not steps here.
#ifndef KILN_CPU_REF_FUSED_HPP
#define KILN_CPU_REF_FUSED_HPP

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/elementwise.hpp"
#include "kiln/fused.hpp"

namespace kiln::cpu_ref {

// The closing activation of a match: its last step, when that is not the first and is an activation.
inline std::optional<FusedStep> activation_step(const std::vector<FusedStep>& steps) {
  if (steps.size() > 1 && Activation::supports(steps.back().node.op_type())) return steps.back();
  return std::nullopt;
}
inline Activation activation_of(const std::vector<FusedStep>& steps) {
  const std::optional<FusedStep> step = activation_step(steps);
  return step ? Activation(step->node) : Activation();
}

// A fused kernel over float types: `required` inputs, then optional ones of any number (what the optional steps
// bring); one output.
inline KernelSpec fused_spec(const std::string& op_type, int opset_min, int required, std::vector<PatternStep> pattern) {
  KernelSpec s;
  s.name = "kiln.cpu_ref." + op_type;
  s.op_type = op_type;
  s.opset_min = opset_min;
  s.inputs.assign(static_cast<size_t>(required), io(FloatTypes::mask));
  s.inputs.push_back(io(FloatTypes::mask, KILN_IO_OPTIONAL | KILN_IO_VARIADIC));
  s.outputs = {io(FloatTypes::mask)};
  s.pattern = std::move(pattern);
  return s;
}

// The pattern step of the closing activation (optional or not).
inline PatternStep activation_pattern(uint32_t flags) { return PatternStep{"", Activation::alternatives(), 0, flags}; }

// A plain node seen as a chain of one step, so one implementation serves a fused pattern and its lone first op.
inline std::vector<FusedStep> lone_step(const Node& node) { return {FusedStep{node, 0, -1}}; }

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_FUSED_HPP
