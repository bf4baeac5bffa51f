// Case generators for the ONNX quantization border ops, QuantizeLinear and DequantizeLinear (per tensor, or per
// axis, one scale and zero point per slice, from opset 13), and DynamicQuantizeLinear. Scales are float32 before opset 19 and x's float
// dtype from it; zero points are drawn away from the middle of their type (and omitted now and then).
#include "case_generators.hpp"

namespace kiln::check {

namespace {

// int8/uint8, and int16/uint16 from opset 21.
uint64_t quantized_types(const CaseContext& ctx) {
  return ctx.opset() >= 21 ? kQuant8 | KILN_DTYPE_BIT(KILN_DTYPE_INT16) | KILN_DTYPE_BIT(KILN_DTYPE_UINT16) : kQuant8;
}

// x's dims, and the scale's and zero point's: per tensor (rank 0) or per axis (the axis attribute then set).
struct QuantShapes {
  std::vector<int64_t> x, params;
  int64_t axis = 1;
  bool per_axis = false;
};

QuantShapes draw_shapes(CaseContext& ctx) {
  Draw& d = ctx.draw();
  QuantShapes s;
  s.x = ctx.maybe_empty(d.dims(static_cast<int>(d.integer(0, 4)), 1, 5));
  if (s.x.empty() || !d.chance(0.4)) return s;
  const auto rank = static_cast<int64_t>(s.x.size());
  s.axis = d.integer(-rank, rank - 1);
  s.params = {s.x[static_cast<size_t>(s.axis < 0 ? s.axis + rank : s.axis)]};
  s.per_axis = true;
  return s;
}

// Zero points of `dtype` around a quarter of its range (negative ones for signed types too).
Tensor zero_points(CaseContext& ctx, DataType dtype, const std::vector<int64_t>& dims) {
  const bool is_unsigned = dtype == KILN_DTYPE_UINT8 || dtype == KILN_DTYPE_UINT16;
  const double span = dtype == KILN_DTYPE_UINT8 || dtype == KILN_DTYPE_INT8 ? 64 : 1000;
  return ctx.random(dtype, dims, is_unsigned ? span : -span, is_unsigned ? 3 * span : span);
}

// x's float dtype, and with it the scale's: float32 only before opset 19.
DataType float_dtype(CaseContext& ctx, const std::vector<size_t>& positions, bool with_output) {
  const uint64_t floats = ctx.opset() >= 19 ? kFloats : KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32);
  return ctx.dtype(positions, floats, with_output);
}

void add_axis(Case& c, const QuantShapes& s) {
  if (s.per_axis) c.attr("axis", int_attr(s.axis));
}

Case quantize_linear(CaseContext& ctx, const std::string&) {
  const DataType t = float_dtype(ctx, {0, 1}, false);
  const DataType q = ctx.dtype({2}, quantized_types(ctx), true);
  const QuantShapes s = draw_shapes(ctx);
  Case c = ctx.make("QuantizeLinear");
  c.input("x", ctx.random(t, s.x, -4, 4));
  c.constant("y_scale", ctx.random(t, s.params, 0.01, 0.05));
  // Without a zero point the output is uint8: only when that is the dtype drawn.
  if (q != KILN_DTYPE_UINT8 || ctx.draw().chance(0.7)) c.constant("y_zero_point", zero_points(ctx, q, s.params));
  add_axis(c, s);
  return c;
}

Case dequantize_linear(CaseContext& ctx, const std::string&) {
  const DataType q = ctx.dtype({0, 2}, quantized_types(ctx), false);
  const DataType t = float_dtype(ctx, {1}, true);
  const QuantShapes s = draw_shapes(ctx);
  Case c = ctx.make("DequantizeLinear");
  c.input("x", ctx.random(q, s.x, -40000, 40000));
  c.constant("x_scale", ctx.random(t, s.params, 0.01, 0.05));
  if (ctx.draw().chance(0.7)) c.constant("x_zero_point", zero_points(ctx, q, s.params));
  add_axis(c, s);
  return c;
}

// float32 in, uint8 with the scale and zero point it computed out; a range not always straddling 0.
Case dynamic_quantize_linear(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32), false);
  Draw& d = ctx.draw();
  const double lo = d.real(-4, 1);
  Case c = ctx.make("DynamicQuantizeLinear");
  c.input("x", ctx.random(t, d.dims(static_cast<int>(d.integer(1, 3)), 1, 6), lo, lo + d.real(0.5, 6)));
  c.num_outputs = 3;
  return c;
}

}  // namespace

std::vector<CaseGenerator> quantize_linear_generators() {
  return {
      {"", "QuantizeLinear", 13, 22, &quantize_linear},
      {"", "DequantizeLinear", 13, 22, &dequantize_linear},
      {"", "DynamicQuantizeLinear", 11, 22, &dynamic_quantize_linear},
  };
}

}  // namespace kiln::check
