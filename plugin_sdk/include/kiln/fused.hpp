// Helpers for fused-pattern kernels (kiln_kernel_desc.pattern), on top of kiln/plugin.hpp: the matched steps of a
// fused node and where each step's inputs sit among the fused node's inputs, the usual reasons a step cannot be
// fused, and BatchNormalization folded into one scale and shift per channel. The CPU reference pack and the
// CUDA pack use them; so can any pack that fuses.
#ifndef KILN_FUSED_HPP
#define KILN_FUSED_HPP

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln {

struct FusedStep {
  Node node;            // the original node
  int first_input = 0;  // the fused node's position of this step's first non-chained input
  int chained = -1;     // which of the step's inputs is the previous step's output (-1: the first step)

  // The fused node's position of step input i (i != chained).
  int fused_input(int i) const { return first_input + (chained >= 0 && i > chained ? i - 1 : i); }
  // For a two-input step such as Add: the input that is not chained.
  int other_input() const { return chained == 0 ? 1 : 0; }
};

// The matched steps of `fused`, in order.
inline std::vector<FusedStep> fused_steps(const Node& fused) {
  std::vector<FusedStep> steps;
  const kiln_host_api* host = fused.host();
  int next_input = 0;
  for (int k = 0;; ++k) {
    const kiln_node* n = host->node_pattern_step(fused.handle(), k);
    if (!n) break;
    FusedStep step{Node(host, n), next_input, -1};
    if (k > 0) {
      // The chained input is the one the previous step's output feeds (chained_input may be "any": -1).
      const std::string previous = steps.back().node.output(0).name;
      step.chained = 0;
      for (int i = 0; i < step.node.num_inputs(); ++i)
        if (step.node.input(i).name == previous) step.chained = i;
    }
    next_input += step.node.num_inputs() - (k > 0 ? 1 : 0);
    steps.push_back(step);
  }
  if (steps.empty()) fail_invalid("node '" + fused.name() + "' is not a fused pattern");
  return steps;
}

// The step whose op_type is `op`, when the match has one.
inline std::optional<FusedStep> step_named(const std::vector<FusedStep>& steps, const std::string& op) {
  for (const FusedStep& s : steps)
    if (s.node.op_type() == op) return s;
  return std::nullopt;
}

// Why a binary step (Add) with its opset-6 legacy broadcast cannot be fused, or "".
inline std::string legacy_broadcast_reason(const Node& step) {
  if (step.opset() < 7 && step.attr_int("broadcast", 0) != 0)
    return step.op_type() + " with the legacy broadcast attribute (opset < 7) is not fused";
  return "";
}

// Why a BatchNormalization step cannot be folded into what precedes it (inference mode, unused training outputs,
// constant statistics), or "".
inline std::string batch_norm_reason(const Node& bn) {
  if (bn.opset() < 7 && bn.attr_int("is_test", 0) == 0) return "BatchNormalization is in training mode (is_test=0)";
  if (bn.opset() >= 14 && bn.attr_int("training_mode", 0) != 0) return "BatchNormalization is in training mode";
  for (int i = 1; i < bn.num_outputs(); ++i)
    if (bn.output(i).present()) return "BatchNormalization's training outputs (mean, var) are used";
  if (bn.opset() < 9 && bn.attr_int("spatial", 1) == 0)
    return "BatchNormalization with spatial=0 keeps statistics per position, which do not fold";
  for (int i = 1; i < 5; ++i)
    if (!bn.has_input(i) || !bn.input(i).data) return "BatchNormalization's input " + std::to_string(i) + " is not a constant";
  return "";
}

// A constant float input (float32, float16 or float64) as doubles.
inline std::vector<double> constant_doubles(const ValueInfo& v, const std::string& what) {
  if (!v.data) fail_invalid(what + ": '" + v.name + "' must be a constant");
  if (!v.shape_known()) fail_invalid(what + ": the shape of '" + v.name + "' must be known");
  std::vector<double> out(static_cast<size_t>(v.numel()));
  for (size_t i = 0; i < out.size(); ++i) {
    switch (v.dtype) {
      case KILN_DTYPE_FLOAT32: out[i] = v.as<float>()[i]; break;
      case KILN_DTYPE_FLOAT64: out[i] = v.as<double>()[i]; break;
      case KILN_DTYPE_FLOAT16: out[i] = static_cast<float>(v.as<float16>()[i]); break;
      default: fail_invalid(what + ": '" + v.name + "' is " + dtype_name(v.dtype) + ", expected a float type");
    }
  }
  return out;
}

// A BatchNormalization as one scale and shift per channel: y = x * scale + shift, in double.
struct ChannelAffine {
  std::vector<double> scale, shift;

  explicit ChannelAffine(const Node& bn) {
    std::vector<double> stats[4];  // scale, B, mean, var
    for (int i = 0; i < 4; ++i) stats[i] = constant_doubles(bn.input(i + 1), "BatchNormalization");
    for (int i = 1; i < 4; ++i)
      if (stats[i].size() != stats[0].size())
        fail_invalid("BatchNormalization '" + bn.name() + "': scale, B, mean and var need one value per channel");
    const double epsilon = bn.attr_float("epsilon", 1e-5f);
    for (size_t c = 0; c < stats[0].size(); ++c) {
      scale.push_back(stats[0][c] / std::sqrt(stats[3][c] + epsilon));
      shift.push_back(stats[1][c] - stats[2][c] * scale.back());
    }
  }
};

}  // namespace kiln

#endif  // KILN_FUSED_HPP
