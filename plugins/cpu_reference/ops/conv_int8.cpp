// ConvFusedInt8 and ConvInt8: ConvFused's chain (Conv -> [BatchNormalization] -> [Add] -> [activation]) and a
// lone Conv, on int8/uint8 activations quantized per tensor: the arithmetic of docs/quantization.md, of which this
// pack is the oracle. X's integers less their zero point convolve with W's integers (common/int8_weights.hpp)
// exactly in int64 (common/conv_core.hpp's im2col + GEMM, so padding contributes the real 0); the epilogue
// then works in double per output channel m:
//   real = acc * (x_scale * w_scale[m]) + bias[m] (+ the Add operand's real) -> activation
// and writes real requantized to Y's scale and zero point, or real itself for a float32 Y.
//
// A BatchNormalization is folded into W and the bias in double, once, in create (as ConvFused does); W then
// leaves its grid and is re-quantized per output channel, symmetric. The Add operand is an int8/uint8 value
// quantized per tensor (a residual: its reals are added) or a float one, broadcast to Y like ConvFused's.
#include "common/conv_core.hpp"
#include "common/fused.hpp"
#include "common/int8_activation.hpp"
#include "common/int8_weights.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr const char* kLabel = "ConvInt8";

// Why the Conv's bias cannot be added in the real domain (or folded with a BatchNormalization), or "".
std::string bias_reason(const Node& conv, bool folded) {
  if (!conv.has_input(2)) return "";
  const ValueInfo b = conv.input(2);
  if (!in_set<FloatTypes>(b.dtype))
    return "the Conv's bias '" + b.name + "' is " + dtype_name(b.dtype) + "; INT8 kernels add a float bias";
  if (folded && !b.data) return "BatchNormalization folds into the Conv's bias, but '" + b.name + "' is not a constant";
  return "";
}

// Why the Add step's other operand cannot be added to the convolution's reals, or "".
std::string add_reason(const FusedStep& add, const Node& conv) {
  if (const std::string legacy = legacy_broadcast_reason(add.node); !legacy.empty()) return legacy;
  const ValueInfo other = add.node.input(add.other_input()), x = conv.input(0), w = conv.input(1);
  if (other.name == add.node.input(add.chained).name) return "Add adds the convolution's output to itself";
  if (in_set<Quant8Types>(other.dtype)) {
    if (const std::string why = activation_reason(other, "the Add operand"); !why.empty()) return why;
  } else if (!in_set<FloatTypes>(other.dtype)) {
    return "the Add operand '" + other.name + "' is " + dtype_name(other.dtype) + "; INT8 kernels add int8, uint8 or float";
  }
  if (!other.has_rank || !x.has_rank || !w.has_rank) return "the Add operand's or the convolution's rank is unknown";
  const std::vector<int64_t> out = ConvAttrs(conv).output_dims(x.dims, w.dims);
  if (!broadcasts_to(other.dims, out))
    return "the Add operand " + dims_text(other.dims) + " does not broadcast to the convolution's output " + dims_text(out);
  return "";
}

// Why `node` (the chain `steps`) cannot run in INT8 here, or "".
std::string int8_conv_reason(const Node& node, const std::vector<FusedStep>& steps) {
  if (node.has("kiln_stack")) return "stacked convolutions (kiln_stack) have no INT8 kernel";
  const Node& conv = steps[0].node;
  const std::optional<FusedStep> bn = step_named(steps, "BatchNormalization");
  std::string why = activation_reason(conv.input(0), "X");
  if (why.empty()) why = weight_reason(conv.input(1), 0, bn.has_value());
  if (why.empty()) why = bias_reason(conv, bn.has_value());
  if (bn && why.empty()) why = batch_norm_reason(bn->node);
  if (const auto add = step_named(steps, "Add"); add && why.empty()) why = add_reason(*add, conv);
  if (const auto act = activation_step(steps); act && why.empty()) why = Activation::check(act->node);
  if (why.empty()) why = int8_output_reason(node.output(0));
  return why;
}

// The INT8 convolution of a chain, shared by both kernels (a lone Conv is a chain of one step).
class Int8Conv {
 public:
  Int8Conv(const Node& node, const std::vector<FusedStep>& steps)
      : conv_(steps[0].node),
        has_bias_(steps[0].node.has_input(2)),
        activation_(activation_of(steps)),
        x_quant_(TensorQuant::of(steps[0].node.input(0))),
        output_(node.output(0)) {
    const Node& conv = steps[0].node;
    const ValueInfo w = conv.input(1);
    weight_dims_ = w.dims;
    std::vector<double> wv = values_as<double>(w, kLabel);
    const std::optional<FusedStep> bn = step_named(steps, "BatchNormalization");
    if (bn) fold(conv, bn->node, wv);
    weights_ = int8_weights(w, wv, 0, bn.has_value());
    multipliers_ = weights_.multipliers(x_quant_.scale);
    if (const auto add = step_named(steps, "Add")) {
      const ValueInfo other = add->node.input(add->other_input());
      add_input_ = add->fused_input(add->other_input());
      if (in_set<Quant8Types>(other.dtype)) add_quant_ = TensorQuant::of(other);
    }
  }

  void execute(ExecContext& ctx) const {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const ConvShape s = conv_.shape(x.shape(), weight_dims_);
    const int64_t size = s.maps * s.out_size;
    if (y.numel() != s.batch * size) fail_invalid(std::string(kLabel) + ": Y's shape does not match the convolution's");
    const std::vector<double> bias = bias_values(ctx, s);
    const std::vector<double> addend = add_input_ < 0 ? std::vector<double>() : addend_values(ctx.input(add_input_), y.shape());
    const std::vector<int64_t> xv = centered_values(x, x_quant_, kLabel);
    std::vector<double> real(static_cast<size_t>(size));
    convolve(s, xv.data(), weights_.values.data(), [&](int64_t n, const int64_t* acc) {
      for (int64_t m = 0; m < s.maps; ++m)
        for (int64_t o = 0; o < s.out_size; ++o) {
          const int64_t i = m * s.out_size + o;
          real[i] = static_cast<double>(acc[i]) * multipliers_[m] + bias[m];
        }
      if (!addend.empty())
        for (int64_t i = 0; i < size; ++i) real[i] += addend[n * size + i];
      activation_.apply(real.data(), size);
      output_.store(y, n * size, real.data(), size);
    });
  }

 private:
  // BatchNormalization folded in double: w' = w * scale[m], b' = b * scale[m] + shift[m].
  void fold(const Node& conv, const Node& bn, std::vector<double>& w) {
    const ChannelAffine affine(bn);
    const int64_t maps = weight_dims_.at(0);
    scale_channels(w, weight_dims_, 0, affine.scale);
    folded_bias_ = has_bias_ ? values_as<double>(conv.input(2), kLabel) : std::vector<double>(static_cast<size_t>(maps), 0.0);
    if (static_cast<int64_t>(folded_bias_.size()) != maps)
      fail_invalid(std::string(kLabel) + ": the Conv's bias needs one value per output channel (" + std::to_string(maps) + ")");
    for (int64_t m = 0; m < maps; ++m) folded_bias_[m] = folded_bias_[m] * affine.scale[m] + affine.shift[m];
    folded_ = true;
  }

  // One bias per output channel: folded, from input 2, or zeros.
  std::vector<double> bias_values(const ExecContext& ctx, const ConvShape& s) const {
    if (folded_) return folded_bias_;
    if (!has_bias_ || !ctx.has_input(2)) return std::vector<double>(static_cast<size_t>(s.maps), 0.0);
    conv_.check_bias(s, ctx.input(2).numel());
    return values_as<double>(ctx.input(2), kLabel);
  }

  // The Add operand's reals broadcast to Y's dims.
  std::vector<double> addend_values(const Tensor& t, const std::vector<int64_t>& dims) const {
    const std::vector<double> v = real_values(t, add_quant_, kLabel);
    std::vector<double> out(static_cast<size_t>(product(dims)));
    for_each_broadcast<1>(dims, {t.shape()}, [&](int64_t i, const std::array<int64_t, 1>& at) { out[i] = v[at[0]]; });
    return out;
  }

  ConvAttrs conv_;
  bool has_bias_;
  Activation activation_;
  TensorQuant x_quant_, add_quant_;
  Int8Output output_;
  std::vector<int64_t> weight_dims_;
  Int8Weights weights_;
  std::vector<double> multipliers_;  // x_scale * w_scale[m]
  bool folded_ = false;
  std::vector<double> folded_bias_;
  int add_input_ = -1;  // the fused node's position of the Add operand; -1 without an Add
};

// Output 0: the convolution's dims, in the dtype the graph gave Y.
void infer_int8_conv(const Node& node, const Node& conv, InferContext& ctx) {
  const ValueInfo x = ctx.input(0), w = ctx.input(1);
  const kiln_dtype dtype = int8_output_dtype(node, x.dtype);
  if (!x.has_rank || !w.has_rank) return ctx.set_output_unknown_rank(0, dtype);
  ctx.set_output(0, dtype, ConvAttrs(conv).output_dims(x.dims, w.dims));
}

struct ConvFusedInt8 {
  static KernelSpec spec() {
    return int8_spec(fused_spec("ConvFused", 1, 2,
                                {{"", "Conv", -1, 0},
                                 {"", "BatchNormalization", 0, KILN_PATTERN_OPTIONAL},
                                 {"", "Add", -1, KILN_PATTERN_OPTIONAL},
                                 activation_pattern(KILN_PATTERN_OPTIONAL)}));
  }
  static std::string check(const Node& node) { return int8_conv_reason(node, fused_steps(node)); }
  static void infer(const Node& node, InferContext& ctx) { infer_int8_conv(node, node.pattern_step(0), ctx); }
  explicit ConvFusedInt8(const Node& node) : conv(node, fused_steps(node)) {}
  void execute(ExecContext& ctx) { conv.execute(ctx); }
  Int8Conv conv;
};

struct ConvInt8 {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Conv";
    s.op_type = "Conv";
    s.inputs = {io(FloatTypes::mask), io(FloatTypes::mask), io(FloatTypes::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(FloatTypes::mask)};
    return int8_spec(s);
  }
  static std::string check(const Node& node) { return int8_conv_reason(node, lone_step(node)); }
  static void infer(const Node& node, InferContext& ctx) { infer_int8_conv(node, node, ctx); }
  explicit ConvInt8(const Node& node) : conv(node, lone_step(node)) {}
  void execute(ExecContext& ctx) { conv.execute(ctx); }
  Int8Conv conv;
};

}  // namespace

const kiln_kernel_desc* conv_fused_int8_kernel() { return describe<ConvFusedInt8>(); }
const kiln_kernel_desc* conv_int8_kernel() { return describe<ConvInt8>(); }

}  // namespace kiln::cpu_ref
