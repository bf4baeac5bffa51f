// The negative log-likelihood step shared by NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: picks
// -log_prob[n, target, d...] per sample, weights it by weight[target] (0 for ignore_index), and reduces.
#ifndef KILN_CPU_REF_NN_LOSS_HPP
#define KILN_CPU_REF_NN_LOSS_HPP

#include <optional>
#include <string>
#include <vector>

#include "common/shape_util.hpp"
#include "kiln/plugin.hpp"

namespace kiln::cpu_ref {

enum class LossReduction { None, Sum, Mean };

struct LossAttrs {
  LossReduction reduction = LossReduction::Mean;
  std::optional<int64_t> ignore_index;

  LossAttrs(const Node& node, const char* op) {
    const std::string r = node.attr_string("reduction", "mean");
    if (r == "none")
      reduction = LossReduction::None;
    else if (r == "sum")
      reduction = LossReduction::Sum;
    else if (r != "mean")
      fail_invalid(std::string(op) + " '" + node.name() + "': unknown reduction '" + r + "'");
    if (node.has("ignore_index")) ignore_index = node.attr_int("ignore_index");
  }

  // The loss output's dims: the target's for reduction none, else a scalar.
  std::vector<int64_t> output_dims(const std::vector<int64_t>& target_dims) const {
    return reduction == LossReduction::None ? target_dims : std::vector<int64_t>{};
  }
};

// log_prob: [N, C, D...] flattened to [N, C, inner]; target: [N, D...] class ids; weight: per class, empty for
// all ones. Returns the per-sample losses (reduction none) or the one reduced value.
inline std::vector<double> negative_log_likelihood(const std::vector<double>& log_prob,
                                                   const std::vector<int64_t>& dims, const std::vector<int64_t>& target,
                                                   const std::vector<double>& weight, const LossAttrs& attrs,
                                                   const char* op) {
  if (dims.size() < 2) fail_invalid(std::string(op) + ": the input needs rank >= 2 (N, C, ...)");
  const int64_t batch = dims[0], classes = dims[1], inner = span_size(dims, 2, dims.size());
  if (static_cast<int64_t>(target.size()) != batch * inner)
    fail_invalid(std::string(op) + ": the target must have shape (N, d1, ..., dk) of the input");
  if (!weight.empty() && static_cast<int64_t>(weight.size()) != classes)
    fail_invalid(std::string(op) + ": weight needs one value per class (" + std::to_string(classes) + ")");
  std::vector<double> losses(target.size());
  double loss_sum = 0, weight_sum = 0;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t d = 0; d < inner; ++d) {
      const int64_t s = n * inner + d, c = target[s];
      if (attrs.ignore_index && c == *attrs.ignore_index) {
        losses[s] = 0;
        continue;
      }
      if (c < 0 || c >= classes)
        fail_invalid(std::string(op) + ": target " + std::to_string(c) + " is not a class in [0, " +
                     std::to_string(classes) + ")");
      const double w = weight.empty() ? 1.0 : weight[c];
      losses[s] = -log_prob[(n * classes + c) * inner + d] * w;
      loss_sum += losses[s];
      weight_sum += w;
    }
  if (attrs.reduction == LossReduction::None) return losses;
  if (attrs.reduction == LossReduction::Sum) return {loss_sum};
  return {loss_sum / weight_sum};
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_NN_LOSS_HPP
