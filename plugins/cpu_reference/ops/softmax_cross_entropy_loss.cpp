// SoftmaxCrossEntropyLoss: log_softmax over the class dim (1), then the negative log-likelihood of the labels
// (see common/nn_loss.hpp); the optional second output is the log-probabilities. Computed in double.
#include <algorithm>
#include <cmath>

#include "common/elementwise.hpp"
#include "common/nn_loss.hpp"
#include "common/nn_values.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr uint64_t kLabelTypes = KILN_DTYPE_BIT(KILN_DTYPE_INT32) | KILN_DTYPE_BIT(KILN_DTYPE_INT64);

// log_softmax along dim 1 of [N, C, inner], in place.
void log_softmax_classes(std::vector<double>& v, int64_t batch, int64_t classes, int64_t inner) {
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t d = 0; d < inner; ++d) {
      auto at = [&](int64_t c) -> double& { return v[static_cast<size_t>((n * classes + c) * inner + d)]; };
      double max = -INFINITY, sum = 0;
      for (int64_t c = 0; c < classes; ++c) max = std::max(max, at(c));
      for (int64_t c = 0; c < classes; ++c) sum += std::exp(at(c) - max);
      const double log_sum = std::log(sum);
      for (int64_t c = 0; c < classes; ++c) at(c) = at(c) - max - log_sum;
    }
}

struct SoftmaxCrossEntropyLoss {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.SoftmaxCrossEntropyLoss";
    s.op_type = "SoftmaxCrossEntropyLoss";
    s.opset_min = 12;
    s.inputs = {io(FloatTypes::mask), io(kLabelTypes), io(FloatTypes::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(FloatTypes::mask), io(FloatTypes::mask, KILN_IO_OPTIONAL)};
    return s;
  }
  explicit SoftmaxCrossEntropyLoss(const Node& node) : attrs(node, "SoftmaxCrossEntropyLoss") {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo scores = ctx.input(0), labels = ctx.input(1);
    const LossAttrs attrs(node, "SoftmaxCrossEntropyLoss");
    const bool known = attrs.reduction != LossReduction::None || labels.has_rank;
    set_output_or_unknown(ctx, 0, scores.dtype, known, attrs.output_dims(labels.dims));
    if (node.num_outputs() > 1) set_output_or_unknown(ctx, 1, scores.dtype, scores.has_rank, scores.dims);
  }
  void execute(ExecContext& ctx) {
    const Tensor scores = ctx.input(0), loss_t = ctx.output(0);
    const std::vector<int64_t> dims = scores.shape();
    if (dims.size() < 2) fail_invalid("SoftmaxCrossEntropyLoss: scores need rank >= 2 (N, C, ...)");
    std::vector<double> log_prob = values_as<double>(scores, "SoftmaxCrossEntropyLoss");
    log_softmax_classes(log_prob, dims[0], dims[1], span_size(dims, 2, dims.size()));
    const std::vector<double> weight =
        ctx.has_input(2) ? values_as<double>(ctx.input(2), "SoftmaxCrossEntropyLoss") : std::vector<double>();
    const std::vector<double> loss =
        negative_log_likelihood(log_prob, dims, ctx.input(1).int_values(), weight, attrs, "SoftmaxCrossEntropyLoss");
    FloatTypes::dispatch(loss_t.dtype(), "SoftmaxCrossEntropyLoss",
                         [&](auto tag) { store_as<decltype(tag)>(loss, loss_t); });
    if (ctx.num_outputs() > 1 && ctx.output(1).present()) {
      const Tensor out = ctx.output(1);
      FloatTypes::dispatch(out.dtype(), "SoftmaxCrossEntropyLoss",
                           [&](auto tag) { store_as<decltype(tag)>(log_prob, out); });
    }
  }
  LossAttrs attrs;
};

}  // namespace

const kiln_kernel_desc* softmax_cross_entropy_loss_kernel() { return describe<SoftmaxCrossEntropyLoss>(); }

}  // namespace kiln::cpu_ref
