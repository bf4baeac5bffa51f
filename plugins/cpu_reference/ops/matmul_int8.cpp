// MatMulInt8 and MatMulAddFusedInt8: MatMul and MatMulAddFused's chain (MatMul -> Add -> [activation], a Linear
// layer) on an int8/uint8 activation A quantized per tensor, times a 2-D float constant B [K, N] quantized per
// column (common/int8_weights.hpp), the arithmetic of docs/quantization.md. A's leading dims are rows (a 1-D A is
// one row); their integers less the zero point multiply B's exactly in int64, and the epilogue works in double
// per column n:
//   real = acc * (a_scale * b_scale[n]) + bias[n]  -> activation
// written requantized to Y's scale and zero point, or as float32. The bias is the Add's float constant, one
// value per column ([N] or [1, .., 1, N]), as MatMulAddFused takes it.
#include "common/fused.hpp"
#include "common/int8_activation.hpp"
#include "common/int8_weights.hpp"
#include "common/matmul_core.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr const char* kLabel = "MatMulInt8";

// Why the Add's operand is not a float bias of one value per column of the product, or "".
std::string bias_reason(const FusedStep& add, const ValueInfo& a, const ValueInfo& b) {
  if (const std::string legacy = legacy_broadcast_reason(add.node); !legacy.empty()) return legacy;
  const ValueInfo bias = add.node.input(add.other_input());
  if (!bias.data || !bias.shape_known()) return "the Add operand '" + bias.name + "' is not a constant bias";
  if (!in_set<FloatTypes>(bias.dtype))
    return "the bias '" + bias.name + "' is " + dtype_name(bias.dtype) + "; INT8 kernels add a float bias";
  const std::vector<int64_t> out = matmul_shape(a.dims, b.dims);
  bool per_column = bias.rank() >= 1 && bias.rank() <= static_cast<int>(out.size()) && bias.dims.back() == b.dims.back();
  for (int i = 0; i + 1 < bias.rank(); ++i) per_column = per_column && bias.dims[i] == 1;
  if (!per_column) return "the bias " + dims_text(bias.dims) + " is not one value per column of the product " + dims_text(out);
  return "";
}

// Why `node` (the chain `steps`) cannot run in INT8 here, or "".
std::string int8_matmul_reason(const Node& node, const std::vector<FusedStep>& steps) {
  const Node& matmul = steps[0].node;
  const ValueInfo a = matmul.input(0), b = matmul.input(1);
  std::string why = activation_reason(a, "A");
  if (why.empty() && (!a.has_rank || a.rank() < 1)) why = "A's rank is unknown or 0";
  if (why.empty() && b.has_rank && b.rank() != 2) why = "B '" + b.name + "' is not 2-D (INT8 MatMul takes a constant [K, N])";
  if (why.empty()) why = weight_reason(b, 1, false);
  if (const auto add = step_named(steps, "Add"); add && why.empty()) why = bias_reason(*add, a, b);
  if (const auto act = activation_step(steps); act && why.empty()) why = Activation::check(act->node);
  if (why.empty()) why = int8_output_reason(node.output(0));
  return why;
}

// The INT8 MatMul of a chain, shared by both kernels (a lone MatMul is a chain of one step).
class Int8MatMul {
 public:
  Int8MatMul(const Node& node, const std::vector<FusedStep>& steps)
      : activation_(activation_of(steps)), a_quant_(TensorQuant::of(steps[0].node.input(0))), output_(node.output(0)) {
    const ValueInfo b = steps[0].node.input(1);
    b_dims_ = b.dims;
    weights_ = int8_weights(b, values_as<double>(b, kLabel), 1, false);
    multipliers_ = weights_.multipliers(a_quant_.scale);
    bias_.assign(static_cast<size_t>(b_dims_.at(1)), 0.0);
    if (const auto add = step_named(steps, "Add")) bias_ = values_as<double>(add->node.input(add->other_input()), kLabel);
    if (bias_.size() != static_cast<size_t>(b_dims_[1]))
      fail_invalid(std::string(kLabel) + ": the bias has " + std::to_string(bias_.size()) + " values for " +
                   std::to_string(b_dims_[1]) + " columns");
  }

  void execute(ExecContext& ctx) const {
    const Tensor a = ctx.input(0), y = ctx.output(0);
    if (a.rank() < 1) fail_invalid(std::string(kLabel) + ": A must have rank >= 1");
    const int64_t k = b_dims_[0], n = b_dims_[1];
    if (a.dim(a.rank() - 1) != k) fail_invalid(std::string(kLabel) + ": A's last dim differs from B's rows");
    const std::vector<int64_t> a_dims = a.shape();
    const int64_t rows = product(std::vector<int64_t>(a_dims.begin(), a_dims.end() - 1));  // a 1-D A is one row
    if (y.numel() != rows * n) fail_invalid(std::string(kLabel) + ": Y's shape does not match A * B");
    const std::vector<int64_t> av = centered_values(a, a_quant_, kLabel);
    std::vector<int64_t> acc(static_cast<size_t>(rows * n));
    gemm<int64_t>(rows, n, k, av.data(), k, false, weights_.values.data(), n, false, acc.data(), n, false);
    std::vector<double> real(acc.size());
    for (size_t i = 0; i < real.size(); ++i) {
      const size_t column = i % static_cast<size_t>(n);
      real[i] = static_cast<double>(acc[i]) * multipliers_[column] + bias_[column];
    }
    activation_.apply(real.data(), static_cast<int64_t>(real.size()));
    output_.store(y, 0, real.data(), static_cast<int64_t>(real.size()));
  }

 private:
  Activation activation_;
  TensorQuant a_quant_;
  Int8Output output_;
  std::vector<int64_t> b_dims_;
  Int8Weights weights_;
  std::vector<double> multipliers_;  // a_scale * b_scale[n]
  std::vector<double> bias_;         // one per column (zeros without an Add)
};

// Output 0: MatMul's dims, broadcast with the bias (which check() keeps from changing them), in Y's dtype.
void infer_int8_matmul(const Node& node, InferContext& ctx, int bias_input) {
  const ValueInfo a = ctx.input(0), b = ctx.input(1);
  const kiln_dtype dtype = int8_output_dtype(node, a.dtype);
  if (!a.has_rank || !b.has_rank) return ctx.set_output_unknown_rank(0, dtype);
  std::vector<int64_t> dims = matmul_shape(a.dims, b.dims);
  if (bias_input >= 0) {
    const ValueInfo bias = ctx.input(bias_input);
    if (!bias.has_rank) return ctx.set_output_unknown_rank(0, dtype);
    dims = broadcast_shapes({dims, bias.dims});
  }
  ctx.set_output(0, dtype, dims);
}

struct MatMulAddFusedInt8 {
  static KernelSpec spec() {
    return int8_spec(fused_spec("MatMulAddFused", 1, 3,
                                {{"", "MatMul", -1, 0}, {"", "Add", -1, 0}, activation_pattern(KILN_PATTERN_OPTIONAL)}));
  }
  static std::string check(const Node& node) { return int8_matmul_reason(node, fused_steps(node)); }
  static void infer(const Node& node, InferContext& ctx) { infer_int8_matmul(node, ctx, 2); }
  explicit MatMulAddFusedInt8(const Node& node) : matmul(node, fused_steps(node)) {}
  void execute(ExecContext& ctx) { matmul.execute(ctx); }
  Int8MatMul matmul;
};

struct MatMulInt8 {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.MatMul";
    s.op_type = "MatMul";
    s.inputs = {io(FloatTypes::mask), io(FloatTypes::mask)};
    s.outputs = {io(FloatTypes::mask)};
    return int8_spec(s);
  }
  static std::string check(const Node& node) { return int8_matmul_reason(node, lone_step(node)); }
  static void infer(const Node& node, InferContext& ctx) { infer_int8_matmul(node, ctx, -1); }
  explicit MatMulInt8(const Node& node) : matmul(node, lone_step(node)) {}
  void execute(ExecContext& ctx) { matmul.execute(ctx); }
  Int8MatMul matmul;
};

}  // namespace

const kiln_kernel_desc* mat_mul_add_fused_int8_kernel() { return describe<MatMulAddFusedInt8>(); }
const kiln_kernel_desc* mat_mul_int8_kernel() { return describe<MatMulInt8>(); }

}  // namespace kiln::cpu_ref
