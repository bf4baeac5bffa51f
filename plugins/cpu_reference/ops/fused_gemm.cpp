// Fused matrix products: the activation (and bias) applied to the product before it is stored.
//
//   GemmFused:      Gemm -> [BatchNormalization] -> [activation] (at least one of them). Inputs: A, B[, C] of the
//                   Gemm; the BatchNormalization's statistics (folded into a per-column scale and shift once, in
//                   create); the activation's bounds (Clip's).
//   MatMulAddFused: MatMul -> Add -> [activation], a Linear layer (a transformer's projections, and Linear+Gelu
//                   when the model has Gelu as one op). Inputs: A, B of the MatMul; the Add's constant bias,
//                   broadcast over the last dim ([N] or [1,..,1,N]); the activation's bounds.
//
// common/fused.hpp gives the input convention; the products are common/matmul_core.hpp's, as in ops/matmul.cpp.
#include "common/fused.hpp"
#include "common/matmul_core.hpp"

namespace kiln::cpu_ref {
namespace {

// Why the activation closing `steps`, if any, cannot be fused, or "".
std::string activation_reason(const std::vector<FusedStep>& steps) {
  const std::optional<FusedStep> act = activation_step(steps);
  return act ? Activation::check(act->node) : "";
}

struct GemmFused {
  static KernelSpec spec() {
    // Both later steps are optional; the core fuses chains of two nodes or more, so a lone Gemm stays a Gemm.
    return fused_spec("GemmFused", 6, 2,
                      {{"", "Gemm", -1, 0},
                       {"", "BatchNormalization", 0, KILN_PATTERN_OPTIONAL},
                       activation_pattern(KILN_PATTERN_OPTIONAL)});
  }
  static std::string check(const Node& node) {
    const std::vector<FusedStep> steps = fused_steps(node);
    if (const auto bn = step_named(steps, "BatchNormalization"))
      if (const std::string why = batch_norm_reason(bn->node); !why.empty()) return why;
    return activation_reason(steps);
  }
  static void infer(const Node& node, InferContext& ctx) { GemmAttrs(node.pattern_step(0)).infer(ctx); }

  explicit GemmFused(const Node& node) : GemmFused(fused_steps(node)) {}
  explicit GemmFused(const std::vector<FusedStep>& steps)
      : gemm(steps[0].node), has_c(steps[0].node.num_inputs() > 2), activation(activation_of(steps)) {
    if (const auto bn = step_named(steps, "BatchNormalization")) batch_norm.emplace(bn->node);
  }

  void execute(ExecContext& ctx) {
    const Tensor a = ctx.input(0), b = ctx.input(1), c = ctx.input(2), y = ctx.output(0);
    FloatTypes::dispatch(y.dtype(), "GemmFused", [&](auto tag) {
      using T = decltype(tag);
      std::vector<product_type_t<T>> v = gemm.evaluate<T>(a, b, has_c && ctx.has_input(2) ? &c : nullptr, y);
      if (batch_norm) apply_batch_norm(v, y.rank() == 2 ? y.dim(1) : 0);
      activation.apply(v.data(), static_cast<int64_t>(v.size()));
      store_as<T>(v, y);
    });
  }

  // Y is [M, N]: BatchNormalization's channels are its N columns.
  template <class P> void apply_batch_norm(std::vector<P>& v, int64_t columns) const {
    if (columns != static_cast<int64_t>(batch_norm->scale.size()))
      fail_invalid("GemmFused: BatchNormalization has " + std::to_string(batch_norm->scale.size()) +
                   " channels for a product of " + std::to_string(columns) + " columns");
    for (size_t i = 0; i < v.size(); ++i) {
      const size_t column = i % static_cast<size_t>(columns);
      v[i] = static_cast<P>(v[i] * batch_norm->scale[column] + batch_norm->shift[column]);
    }
  }

  GemmAttrs gemm;
  bool has_c;
  Activation activation;
  std::optional<ChannelAffine> batch_norm;  // the folded BatchNormalization, when the pattern has one
};

struct MatMulAddFused {
  static KernelSpec spec() {
    return fused_spec("MatMulAddFused", 1, 3,
                      {{"", "MatMul", -1, 0}, {"", "Add", -1, 0}, activation_pattern(KILN_PATTERN_OPTIONAL)});
  }
  static std::string check(const Node& node) {
    const std::vector<FusedStep> steps = fused_steps(node);
    const FusedStep& add = steps.at(1);
    const ValueInfo a = steps[0].node.input(0), b = steps[0].node.input(1), bias = add.node.input(add.other_input());
    std::string why = legacy_broadcast_reason(add.node);
    if (!why.empty()) return why;
    if (!bias.data || !bias.shape_known()) return "the Add operand '" + bias.name + "' is not a constant bias";
    if (bias.dtype != a.dtype) return "the bias is " + std::string(dtype_name(bias.dtype)) + ", A is " + dtype_name(a.dtype);
    if (!a.has_rank || !b.has_rank || b.rank() < 2) return "B's rank is unknown or below 2";
    const std::vector<int64_t> out = matmul_shape(a.dims, b.dims);
    bool per_column = bias.rank() >= 1 && bias.rank() <= static_cast<int>(out.size()) &&
                      (bias.dims.back() == out.back() || out.back() < 0);
    for (int i = 0; i + 1 < bias.rank(); ++i) per_column = per_column && bias.dims[i] == 1;
    if (!per_column)
      return "the bias " + dims_text(bias.dims) + " is not one value per column of the product " + dims_text(out);
    return activation_reason(steps);
  }
  // The unfused shapes: MatMul's, broadcast with the bias (which check() keeps from changing them).
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo a = ctx.input(0), b = ctx.input(1), bias = ctx.input(2);
    if (!a.has_rank || !b.has_rank || !bias.has_rank) return ctx.set_output_unknown_rank(0, a.dtype);
    ctx.set_output(0, a.dtype, broadcast_shapes({matmul_shape(a.dims, b.dims), bias.dims}));
  }

  explicit MatMulAddFused(const Node& node) : MatMulAddFused(fused_steps(node)) {}
  explicit MatMulAddFused(const std::vector<FusedStep>& steps)
      : bias(values_as<double>(steps.at(1).node.input(steps[1].other_input()), "MatMulAddFused")),
        activation(activation_of(steps)) {}

  void execute(ExecContext& ctx) {
    const Tensor a = ctx.input(0), b = ctx.input(1), y = ctx.output(0);
    const int64_t n = y.rank() ? y.dim(y.rank() - 1) : 1;
    if (n != static_cast<int64_t>(bias.size()))
      fail_invalid("MatMulAddFused: the bias has " + std::to_string(bias.size()) + " values for " + std::to_string(n) + " columns");
    FloatTypes::dispatch(y.dtype(), "MatMulAddFused", [&](auto tag) {
      using T = decltype(tag);
      using P = product_type_t<T>;
      std::vector<P> v = matmul_product<T>(a, b, y);
      const std::vector<P> bv(bias.begin(), bias.end());
      for (size_t i = 0; i < v.size(); ++i) v[i] += bv[i % bv.size()];
      activation.apply(v.data(), static_cast<int64_t>(v.size()));
      store_as<T>(v, y);
    });
  }

  std::vector<double> bias;  // one value per column, read once in create
  Activation activation;
};

}  // namespace

const kiln_kernel_desc* gemm_fused_kernel() { return describe<GemmFused>(); }
const kiln_kernel_desc* mat_mul_add_fused_kernel() { return describe<MatMulAddFused>(); }

}  // namespace kiln::cpu_ref
