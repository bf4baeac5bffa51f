// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear, with ONNX's reference arithmetic:
//   quantize:   y = saturate(round_half_even(x / scale) + zero_point)
//   dequantize: y = (x - zero_point) * scale
// Scales and zero points are per tensor, per axis (from opset 13) or per block (block_size, from opset 21).
// Quantized types are uint8, int8, uint16 and int16; float8, int4, float4 and int2 are declined.
#include "common/quantize.hpp"

namespace kiln::cpu_ref {
namespace {

// The common attributes: axis (default 1) and block_size (default 0: per tensor or per axis).
struct QuantLayout {
  explicit QuantLayout(const Node& node)
      : label(node.op_type() + " '" + node.name() + "'"),
        axis(node.attr_int("axis", 1)),
        block_size(node.attr_int("block_size", 0)) {}
  QuantParamIndex index(const Tensor& x, const Tensor& scale, const Tensor* zero_point) const {
    if (block_size < 0) fail_invalid(label + ": block_size must not be negative");
    if (zero_point && zero_point->shape() != scale.shape() && zero_point->numel() != scale.numel())
      fail_invalid(label + ": the zero point and the scale must have the same shape");
    return QuantParamIndex(x.shape(), scale.shape(), axis, block_size, label);
  }
  std::string label;
  int64_t axis, block_size;
};

struct QuantizeLinear {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.QuantizeLinear";
    s.op_type = "QuantizeLinear";
    s.opset_min = 10;
    // x may also be int32 in opset 10.
    s.inputs = {io(FloatTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_INT32)), io(FloatTypes::mask),
                io(QuantTypes::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(QuantTypes::mask)};
    return s;
  }
  // The output dtype: the zero point's, else output_dtype (opset 21), else uint8.
  static int64_t output_dtype(const Node& node) {
    if (node.has_input(2)) return node.input(2).dtype;
    const int64_t attr = node.attr_int("output_dtype", 0);
    return attr != 0 ? attr : KILN_DTYPE_UINT8;
  }
  static std::string check(const Node& node) {
    if (node.has_input(2) && node.has("output_dtype") && node.attr_int("output_dtype") != 0 &&
        node.attr_int("output_dtype") != node.input(2).dtype)
      return "output_dtype differs from the zero point's dtype";
    if (std::string why = quant_dtype_problem(output_dtype(node)); !why.empty()) return why;
    const int64_t precision = node.attr_int("precision", 0);
    if (precision != 0 && !in_set<FloatTypes>(precision))
      return "precision " + std::to_string(precision) + " is not supported (float16, float32, float64 are)";
    return "";
  }
  explicit QuantizeLinear(const Node& node)
      : layout(node), precision(static_cast<kiln_dtype>(node.attr_int("precision", 0))) {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    const kiln_dtype dtype = static_cast<kiln_dtype>(output_dtype(node));
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, dtype);
    ctx.set_output(0, dtype, x.dims);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), scale = ctx.input(1), zero_point = ctx.input(2), y = ctx.output(0);
    const bool has_zero = ctx.has_input(2);
    const QuantParamIndex at = layout.index(x, scale, has_zero ? &zero_point : nullptr);
    // The quotient's dtype: `precision` (opset 23) when set, else numpy's promotion of x's and the scale's
    // (int32 / float is float64).
    const kiln_dtype quotient = precision != 0                     ? precision
                                : x.dtype() == KILN_DTYPE_INT32 ? KILN_DTYPE_FLOAT64
                                                                : promote_float(x.dtype(), scale.dtype());
    const std::vector<double> xv = values_as<double>(x, "QuantizeLinear"), sv = values_as<double>(scale, "QuantizeLinear");
    const std::vector<int64_t> zv = has_zero ? values_as<int64_t>(zero_point, "QuantizeLinear") : std::vector<int64_t>();
    QuantTypes::dispatch(y.dtype(), "QuantizeLinear", [&](auto tag) {
      using Q = decltype(tag);
      Q* out = y.data<Q>();
      for (size_t i = 0; i < xv.size(); ++i) {
        const int64_t p = at(static_cast<int64_t>(i));
        const double q = divide_in(quotient, round_to(quotient, xv[i]), round_to(quotient, sv[p]));
        out[i] = saturate_round<Q>(std::nearbyint(q) + static_cast<double>(has_zero ? zv[p] : 0));
      }
    });
  }
  QuantLayout layout;
  kiln_dtype precision;
};

struct DequantizeLinear {
  using Types = DtypeSet<KILN_DTYPE_UINT8, KILN_DTYPE_INT8, KILN_DTYPE_UINT16, KILN_DTYPE_INT16, KILN_DTYPE_INT32>;
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.DequantizeLinear";
    s.op_type = "DequantizeLinear";
    s.opset_min = 10;
    s.inputs = {io(Types::mask), io(ScaleTypes::mask), io(Types::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(ScaleTypes::mask)};
    return s;
  }
  // The output dtype: output_dtype (opset 23) when set, else the scale's.
  static kiln_dtype output_dtype(const Node& node, kiln_dtype scale) {
    const int64_t attr = node.attr_int("output_dtype", 0);
    return attr != 0 ? static_cast<kiln_dtype>(attr) : scale;
  }
  static std::string check(const Node& node) {
    if (node.has_input(2) && node.input(2).dtype != node.input(0).dtype)
      return "the zero point's dtype differs from x's";
    const kiln_dtype out = output_dtype(node, node.input(1).dtype);
    if (!in_set<ScaleTypes>(out)) return std::string("output dtype ") + dtype_name(out) + " is not supported";
    return "";
  }
  explicit DequantizeLinear(const Node& node) : layout(node) {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    const kiln_dtype dtype = output_dtype(node, ctx.input(1).dtype);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, dtype);
    ctx.set_output(0, dtype, x.dims);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), scale = ctx.input(1), zero_point = ctx.input(2), y = ctx.output(0);
    const bool has_zero = ctx.has_input(2);
    const QuantParamIndex at = layout.index(x, scale, has_zero ? &zero_point : nullptr);
    const std::vector<int64_t> xv = values_as<int64_t>(x, "DequantizeLinear");
    const std::vector<int64_t> zv = has_zero ? values_as<int64_t>(zero_point, "DequantizeLinear") : std::vector<int64_t>();
    const std::vector<double> sv = values_as<double>(scale, "DequantizeLinear");
    // The reference subtracts in float32 (float64 for int32, whose zero point is int32) and multiplies by the
    // scale in that dtype, promoted with the scale's.
    const bool wide = x.dtype() == KILN_DTYPE_INT32;
    ScaleTypes::dispatch(y.dtype(), "DequantizeLinear", [&](auto tag) {
      using T = decltype(tag);
      T* out = y.data<T>();
      for (size_t i = 0; i < xv.size(); ++i) {
        const int64_t p = at(static_cast<int64_t>(i));
        const double zero = static_cast<double>(has_zero ? zv[p] : 0);
        if (wide) {
          out[i] = convert<T>((static_cast<double>(static_cast<float>(xv[i])) - zero) * sv[p]);
        } else {
          const float dx = static_cast<float>(xv[i]) - static_cast<float>(zero);
          out[i] = convert<T>(dx * static_cast<float>(sv[p]));
        }
      }
    });
  }
  QuantLayout layout;
};

// DynamicQuantizeLinear (opset 11): uint8 with scale = (max(0, max x) - min(0, min x)) / 255 (1 when that is 0)
// and zero point = saturate(round(0 - min / scale)), all in float32 as the reference computes them.
struct DynamicQuantizeLinear {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.DynamicQuantizeLinear";
    s.op_type = "DynamicQuantizeLinear";
    s.opset_min = 11;
    const uint64_t f32 = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32), u8 = KILN_DTYPE_BIT(KILN_DTYPE_UINT8);
    s.inputs = {io(f32)};
    s.outputs = {io(u8), io(f32), io(u8)};
    return s;
  }
  explicit DynamicQuantizeLinear(const Node&) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) ctx.set_output_unknown_rank(0, KILN_DTYPE_UINT8);
    else ctx.set_output(0, KILN_DTYPE_UINT8, x.dims);
    ctx.set_output(1, KILN_DTYPE_FLOAT32, {});
    ctx.set_output(2, KILN_DTYPE_UINT8, {});
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0);
    if (x.numel() == 0) fail_invalid("DynamicQuantizeLinear: x is empty, so its range is undefined");
    const float* xv = x.data<float>();
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < x.numel(); ++i) lo = std::fmin(lo, xv[i]), hi = std::fmax(hi, xv[i]);
    const float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    const float zero = std::nearbyint(std::fmax(0.0f, std::fmin(255.0f, 0.0f - lo / scale)));
    uint8_t* y = ctx.output(0).data<uint8_t>();
    for (int64_t i = 0; i < x.numel(); ++i) y[i] = saturate_round<uint8_t>(std::nearbyint(xv[i] / scale) + zero);
    *ctx.output(1).data<float>() = scale;
    *ctx.output(2).data<uint8_t>() = static_cast<uint8_t>(zero);
  }
};

}  // namespace

const kiln_kernel_desc* quantize_linear_kernel() { return describe<QuantizeLinear>(); }
const kiln_kernel_desc* dequantize_linear_kernel() { return describe<DequantizeLinear>(); }
const kiln_kernel_desc* dynamic_quantize_linear_kernel() { return describe<DynamicQuantizeLinear>(); }

}  // namespace kiln::cpu_ref
