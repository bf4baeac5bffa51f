// MeanVarianceNormalization: y = (x - mean) / (sqrt(variance) + 1e-9), with mean and variance over `axes`
// (default [0, 2, 3]). The 1e-9 is the one in ONNX's function definition of the op. Statistics in double.
#include <cmath>

#include "common/elementwise.hpp"
#include "common/reduce.hpp"

namespace kiln::cpu_ref {
namespace {

struct MeanVarianceNormalization {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.MeanVarianceNormalization";
    s.op_type = "MeanVarianceNormalization";
    s.opset_min = 9;
    s.inputs = {io(FloatTypes::mask)};
    s.outputs = {io(FloatTypes::mask)};
    return s;
  }
  explicit MeanVarianceNormalization(const Node& node) : axes(node.attr_ints("axes", {0, 2, 3})) {}
  static void infer(const Node&, InferContext& ctx) { infer_same_as_input(ctx); }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = x.shape();
    const std::vector<bool> reduced = reduced_dims(axes, x.rank(), false, "MeanVarianceNormalization");
    const size_t groups = static_cast<size_t>(product(reduced_shape(dims, reduced, true)));
    FloatTypes::dispatch(x.dtype(), "MeanVarianceNormalization", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const T* in = x.data<T>();
      T* out = y.data<T>();
      auto value = [&](int64_t i) { return static_cast<double>(static_cast<C>(in[i])); };
      std::vector<double> mean(groups, 0.0), variance(groups, 0.0);
      std::vector<int64_t> count(groups, 0);
      for_each_reduced(dims, reduced, [&](int64_t i, int64_t g) { mean[g] += value(i), ++count[g]; });
      for (size_t g = 0; g < groups; ++g) mean[g] /= static_cast<double>(count[g]);
      for_each_reduced(dims, reduced, [&](int64_t i, int64_t g) {
        const double d = value(i) - mean[g];
        variance[g] += d * d;
      });
      for (size_t g = 0; g < groups; ++g) variance[g] /= static_cast<double>(count[g]);
      for_each_reduced(dims, reduced, [&](int64_t i, int64_t g) {
        out[i] = static_cast<T>(static_cast<C>((value(i) - mean[g]) / (std::sqrt(variance[g]) + 1e-9)));
      });
    });
  }
  std::vector<int64_t> axes;
};

}  // namespace

const kiln_kernel_desc* mean_variance_normalization_kernel() { return describe<MeanVarianceNormalization>(); }

}  // namespace kiln::cpu_ref
