// GemmInt8 and GemmFusedInt8: Gemm (Y = alpha * A * B' + beta * C) and GemmFused's chain (Gemm ->
// [BatchNormalization] -> [activation]) on an int8/uint8 activation A quantized per tensor, the arithmetic of
// docs/quantization.md. B is a float constant whose output columns (axis 1, or 0 when transB=1) each get a
// scale (common/int8_weights.hpp); A's integers less their zero point multiply B's exactly in int64, and the
// epilogue works in double per column n:
//   real = alpha * (acc * (a_scale * b_scale[n])) + beta * C[m, n]  -> activation
// written requantized to Y's scale and zero point, or as float32. A BatchNormalization over the columns is
// folded as the doc says: B's columns times scale[n], re-quantized per column, symmetric; the bias term becomes
// (beta * C[m, n]) * scale[n] + shift[n]. transA=1 is declined: A's rows are read as they are stored.
#include "common/fused.hpp"
#include "common/int8_activation.hpp"
#include "common/int8_weights.hpp"
#include "common/matmul_core.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr const char* kLabel = "GemmInt8";

// B's output-column axis: 1 for [K, N], 0 for a transposed [N, K].
int column_axis(const GemmAttrs& gemm) { return gemm.trans_b ? 0 : 1; }

// Why the chain `steps` of `node` cannot run in INT8 here, or "".
std::string int8_gemm_reason(const Node& node, const std::vector<FusedStep>& steps) {
  const Node& gemm_node = steps[0].node;
  const GemmAttrs gemm(gemm_node);
  const std::optional<FusedStep> bn = step_named(steps, "BatchNormalization");
  if (gemm.trans_a) return "transA=1 is not supported: A's int8 rows are read as stored";
  std::string why = activation_reason(gemm_node.input(0), "A");
  const ValueInfo b = gemm_node.input(1);
  if (why.empty() && b.has_rank && b.rank() != 2) why = "B '" + b.name + "' is not 2-D";
  if (why.empty()) why = weight_reason(b, column_axis(gemm), bn.has_value());
  if (why.empty() && gemm_node.has_input(2) && !in_set<FloatTypes>(gemm_node.input(2).dtype))
    why = "C '" + gemm_node.input(2).name + "' is " + dtype_name(gemm_node.input(2).dtype) + "; INT8 kernels add a float bias";
  if (bn && why.empty()) why = batch_norm_reason(bn->node);
  if (const auto act = activation_step(steps); act && why.empty()) why = Activation::check(act->node);
  if (why.empty()) why = int8_output_reason(node.output(0));
  return why;
}

// The INT8 Gemm of a chain, shared by both kernels (a lone Gemm is a chain of one step).
class Int8Gemm {
 public:
  Int8Gemm(const Node& node, const std::vector<FusedStep>& steps)
      : gemm_(steps[0].node),
        has_c_(steps[0].node.num_inputs() > 2),
        activation_(activation_of(steps)),
        a_quant_(TensorQuant::of(steps[0].node.input(0))),
        output_(node.output(0)) {
    const ValueInfo b = steps[0].node.input(1);
    b_dims_ = b.dims;
    std::vector<double> bv = values_as<double>(b, kLabel);
    const std::optional<FusedStep> bn = step_named(steps, "BatchNormalization");
    if (bn) {
      const ChannelAffine affine(bn->node);
      scale_channels(bv, b_dims_, column_axis(gemm_), affine.scale);
      column_scale_ = affine.scale;
      column_shift_ = affine.shift;
    }
    weights_ = int8_weights(b, bv, column_axis(gemm_), bn.has_value());
    multipliers_ = weights_.multipliers(a_quant_.scale);
  }

  void execute(ExecContext& ctx) const {
    const Tensor a = ctx.input(0), y = ctx.output(0);
    if (a.rank() != 2) fail_invalid(std::string(kLabel) + ": A must be 2-D");
    const int64_t m = a.dim(0), k = a.dim(1), n = b_dims_[gemm_.trans_b ? 0 : 1];
    if (b_dims_[gemm_.trans_b ? 1 : 0] != k) fail_invalid(std::string(kLabel) + ": A's and B's inner dims differ");
    if (y.shape() != std::vector<int64_t>{m, n}) fail_invalid(std::string(kLabel) + ": Y's shape does not match A * B");
    const std::vector<double> bias = bias_values(ctx, m, n);
    const std::vector<int64_t> av = centered_values(a, a_quant_, kLabel);
    std::vector<int64_t> acc(static_cast<size_t>(m * n));
    gemm<int64_t>(m, n, k, av.data(), k, false, weights_.values.data(), b_dims_[1], gemm_.trans_b, acc.data(), n, false);
    std::vector<double> real(acc.size());
    const double alpha = gemm_.alpha;
    for (size_t i = 0; i < real.size(); ++i)
      real[i] = alpha * (static_cast<double>(acc[i]) * multipliers_[i % static_cast<size_t>(n)]) + bias[i];
    activation_.apply(real.data(), static_cast<int64_t>(real.size()));
    output_.store(y, 0, real.data(), static_cast<int64_t>(real.size()));
  }

 private:
  // The bias term of each element of [m, n]: beta * C broadcast, then the BatchNormalization's scale and shift.
  std::vector<double> bias_values(const ExecContext& ctx, int64_t m, int64_t n) const {
    std::vector<double> out(static_cast<size_t>(m * n), 0.0);
    if (has_c_ && ctx.has_input(2)) {
      const Tensor c = ctx.input(2);
      const std::vector<double> cv = values_as<double>(c, kLabel);
      const double beta = gemm_.beta;
      for_each_broadcast<1>({m, n}, {c.shape()}, [&](int64_t i, const std::array<int64_t, 1>& at) { out[i] = beta * cv[at[0]]; });
    }
    if (!column_scale_.empty()) {
      if (static_cast<int64_t>(column_scale_.size()) != n)
        fail_invalid(std::string(kLabel) + ": BatchNormalization has " + std::to_string(column_scale_.size()) + " channels for " +
                     std::to_string(n) + " columns");
      for (size_t i = 0; i < out.size(); ++i) {
        const size_t column = i % static_cast<size_t>(n);
        out[i] = out[i] * column_scale_[column] + column_shift_[column];
      }
    }
    return out;
  }

  GemmAttrs gemm_;
  bool has_c_;
  Activation activation_;
  TensorQuant a_quant_;
  Int8Output output_;
  std::vector<int64_t> b_dims_;
  Int8Weights weights_;
  std::vector<double> multipliers_;                // a_scale * b_scale[n]
  std::vector<double> column_scale_, column_shift_;  // the folded BatchNormalization (empty without)
};

// Output 0: [M, N] in the dtype the graph gave Y.
void infer_int8_gemm(const Node& node, const Node& gemm_node, InferContext& ctx) {
  const GemmAttrs gemm(gemm_node);
  const ValueInfo a = ctx.input(0), b = ctx.input(1);
  const kiln_dtype dtype = int8_output_dtype(node, a.dtype);
  if (!a.has_rank || !b.has_rank) return ctx.set_output(0, dtype, {-1, -1});
  if (a.rank() != 2 || b.rank() != 2) fail_invalid("Gemm: A and B must be 2-D");
  ctx.set_output(0, dtype, {a.dims[gemm.trans_a ? 1 : 0], b.dims[gemm.trans_b ? 0 : 1]});
}

struct GemmFusedInt8 {
  static KernelSpec spec() {
    return int8_spec(fused_spec("GemmFused", 6, 2,
                                {{"", "Gemm", -1, 0},
                                 {"", "BatchNormalization", 0, KILN_PATTERN_OPTIONAL},
                                 activation_pattern(KILN_PATTERN_OPTIONAL)}));
  }
  static std::string check(const Node& node) { return int8_gemm_reason(node, fused_steps(node)); }
  static void infer(const Node& node, InferContext& ctx) { infer_int8_gemm(node, node.pattern_step(0), ctx); }
  explicit GemmFusedInt8(const Node& node) : gemm(node, fused_steps(node)) {}
  void execute(ExecContext& ctx) { gemm.execute(ctx); }
  Int8Gemm gemm;
};

struct GemmInt8 {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Gemm";
    s.op_type = "Gemm";
    s.opset_min = 6;  // as the float Gemm: opset 6's `broadcast` flag only permits what is always done
    s.inputs = {io(FloatTypes::mask), io(FloatTypes::mask), io(FloatTypes::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(FloatTypes::mask)};
    return int8_spec(s);
  }
  static std::string check(const Node& node) { return int8_gemm_reason(node, lone_step(node)); }
  static void infer(const Node& node, InferContext& ctx) { infer_int8_gemm(node, node, ctx); }
  explicit GemmInt8(const Node& node) : gemm(node, lone_step(node)) {}
  void execute(ExecContext& ctx) { gemm.execute(ctx); }
  Int8Gemm gemm;
};

}  // namespace

const kiln_kernel_desc* gemm_fused_int8_kernel() { return describe<GemmFusedInt8>(); }
const kiln_kernel_desc* gemm_int8_kernel() { return describe<GemmInt8>(); }

}  // namespace kiln::cpu_ref
