// RMSNormalization (opset 23): y = x / sqrt(mean(x^2 over dims [axis, rank)) + epsilon) * scale, scale
// broadcasting against the normalised dims and possibly of another float type. Statistics in double.
#include <cmath>

#include "common/elementwise.hpp"
#include "common/nn_values.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

struct RmsNormalization {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.RMSNormalization";
    s.op_type = "RMSNormalization";
    s.opset_min = 23;
    s.inputs = {io(FloatTypes::mask), io(FloatTypes::mask)};
    s.outputs = {io(FloatTypes::mask)};
    return s;
  }
  explicit RmsNormalization(const Node& node)
      : axis(node.attr_int("axis", -1)), epsilon(node.attr_float("epsilon", 1e-5f)) {}
  static void infer(const Node&, InferContext& ctx) { infer_same_as_input(ctx); }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), scale_t = ctx.input(1), y = ctx.output(0);
    const std::vector<int64_t> dims = x.shape();
    const size_t a = static_cast<size_t>(normalize_axis(axis, x.rank(), "RMSNormalization"));
    const std::vector<int64_t> norm_dims(dims.begin() + static_cast<long>(a), dims.end());
    if (scale_t.rank() > static_cast<int>(norm_dims.size()) ||
        broadcast_shapes({scale_t.shape(), norm_dims}) != norm_dims)
      fail_invalid("RMSNormalization: scale does not broadcast to the normalised dims");
    const int64_t rows = span_size(dims, 0, a), size = product(norm_dims);
    const std::vector<double> xv = values_as<double>(x, "RMSNormalization");
    const std::vector<double> scale = values_as<double>(scale_t, "RMSNormalization");
    // The scale's element for each position of a normalised row.
    std::vector<double> row_scale(static_cast<size_t>(size));
    for_each_broadcast<1>(norm_dims, {scale_t.shape()},
                          [&](int64_t i, const std::array<int64_t, 1>& at) { row_scale[i] = scale[at[0]]; });
    std::vector<double> out(xv.size());
    for (int64_t r = 0; r < rows; ++r) {
      const double* in = xv.data() + r * size;
      double square_sum = 0;
      for (int64_t i = 0; i < size; ++i) square_sum += in[i] * in[i];
      const double rms = std::sqrt(square_sum / static_cast<double>(size) + static_cast<double>(epsilon));
      for (int64_t i = 0; i < size; ++i) out[r * size + i] = in[i] / rms * row_scale[i];
    }
    FloatTypes::dispatch(y.dtype(), "RMSNormalization", [&](auto tag) { store_as<decltype(tag)>(out, y); });
  }
  int64_t axis;
  float epsilon;
};

}  // namespace

const kiln_kernel_desc* rms_normalization_kernel() { return describe<RmsNormalization>(); }

}  // namespace kiln::cpu_ref
