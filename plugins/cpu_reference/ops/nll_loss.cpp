// NegativeLogLikelihoodLoss: loss = -input[n, target, d...] * weight[target], reduced by none/sum/mean (mean
// divides by the summed weights of the samples not ignored). Computed in double.
#include "common/elementwise.hpp"
#include "common/nn_loss.hpp"
#include "common/nn_values.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr uint64_t kTargetTypes = KILN_DTYPE_BIT(KILN_DTYPE_INT32) | KILN_DTYPE_BIT(KILN_DTYPE_INT64);

struct NegativeLogLikelihoodLoss {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.NegativeLogLikelihoodLoss";
    s.op_type = "NegativeLogLikelihoodLoss";
    s.opset_min = 12;
    s.inputs = {io(FloatTypes::mask), io(kTargetTypes), io(FloatTypes::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(FloatTypes::mask)};
    return s;
  }
  explicit NegativeLogLikelihoodLoss(const Node& node) : attrs(node, "NegativeLogLikelihoodLoss") {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0), target = ctx.input(1);
    const LossAttrs attrs(node, "NegativeLogLikelihoodLoss");
    const bool known = attrs.reduction != LossReduction::None || target.has_rank;
    set_output_or_unknown(ctx, 0, x.dtype, known, attrs.output_dims(target.dims));
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<double> weight =
        ctx.has_input(2) ? values_as<double>(ctx.input(2), "NegativeLogLikelihoodLoss") : std::vector<double>();
    const std::vector<double> loss =
        negative_log_likelihood(values_as<double>(x, "NegativeLogLikelihoodLoss"), x.shape(), ctx.input(1).int_values(),
                                weight, attrs, "NegativeLogLikelihoodLoss");
    FloatTypes::dispatch(y.dtype(), "NegativeLogLikelihoodLoss", [&](auto tag) { store_as<decltype(tag)>(loss, y); });
  }
  LossAttrs attrs;
};

}  // namespace

const kiln_kernel_desc* negative_log_likelihood_loss_kernel() { return describe<NegativeLogLikelihoodLoss>(); }

}  // namespace kiln::cpu_ref
