// Case generators for the INT8 forms of Conv, Gemm and MatMul (KILN_KERNEL_QUANTIZED kernels,
// docs/quantization.md): the float op's case, drawn in float32, with its activation (input 0) replaced by
// int8/uint8 integers on a per-tensor grid and, half of the time, its float weights moved onto a grid they then
// carry (per output channel or per tensor, as a folded DequantizeLinear leaves them); without one the kernel
// quantizes them itself. The output's dtype and grid are drawn by the run (int8_case_run.cpp), which needs
// the reals first. Half of the INT8 Conv cases take the form GPU INT8 kernels run (2-D, group 1, symmetric pads,
// 16/32/64 input channels or a stride-2 first layer's 1-4, symmetric int8 X and weights), so that such a kernel is
// compared, not only declining; half of the INT8 Gemm and MatMul cases likewise (symmetric int8 A with K in 16s,
// a constant B with N in 8s).
// ONNX's own integer ops are drawn from the same float cases with integers in place of both
// operands: ConvInteger and MatMulInteger (int32 accumulators, exact) and QLinearConv and QLinearMatMul (with
// scales, and an output grid sized to the accumulators' spread).
#include <cmath>

#include "case_generators.hpp"
#include "quantize_case.hpp"

namespace kiln::check {

namespace {

constexpr uint64_t kFloat32 = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32);

// The float op's case, drawn in float32 (the INT8 kernels' weights and bias are float; input 0 is replaced).
Case float_case(CaseContext& ctx, const std::string& op_type) {
  CaseContext reals(ctx.draw(), ctx.opset(), {kFloat32}, {kFloat32}, ctx.empty_edge());
  return find_generator("", op_type)->make(reals, op_type);
}

// Input 0 quantized onto a grid of a dtype both kernels take there; W on a grid (along `weight_axis`) half
// of the time.
Case quantize_activation_and_weights(CaseContext& ctx, Case c, int weight_axis) {
  quantize_input(c, 0, ctx.dtype({0}, kQuant8, false), ctx.draw());
  if (ctx.draw().chance(0.5)) put_on_grid(c.inputs.at(1), weight_axis, ctx.draw());
  return c;
}

// A float Conv as GPU INT8 kernels take it (cuDNN's int8 engines; implicit-GEMM kernels that want input
// channels in 16s and output channels in 8s): 2-D, group 1, each spatial dim padded alike on both sides. Half
// of them are first layers (1-4 input channels, 3x3 to 7x7 windows of stride 2: what a space-to-depth kernel
// packs).
Case tensor_core_conv(CaseContext& ctx) {
  Draw& d = ctx.draw();
  const bool first_layer = d.chance(0.5);
  const int64_t channels = first_layer ? d.integer(1, 4) : d.pick(std::vector<int64_t>{16, 16, 32, 64});
  const int64_t maps = d.pick(std::vector<int64_t>{8, 16, 32});
  const int64_t k = first_layer ? d.pick(std::vector<int64_t>{3, 5, 7}) : d.pick(std::vector<int64_t>{1, 3, 3});
  const int64_t stride = first_layer ? 2 : d.integer(1, 2), pad = first_layer || d.chance(0.7) ? k / 2 : 0;
  const std::vector<int64_t> x = {ctx.empty_edge() ? 0 : d.integer(1, 2), channels, k + d.integer(0, 6), k + d.integer(0, 6)};
  const double bound = std::sqrt(3.0 / static_cast<double>(channels * k * k));
  Case c = ctx.make("Conv");
  c.input("X", ctx.random(KILN_DTYPE_FLOAT32, x));
  c.constant("W", ctx.random(KILN_DTYPE_FLOAT32, {maps, channels, k, k}, -bound, bound));
  if (d.chance(0.6)) c.constant("B", ctx.random(KILN_DTYPE_FLOAT32, {maps}));
  c.attr("kernel_shape", ints_attr({k, k})).attr("strides", ints_attr({stride, stride}));
  if (pad > 0 || d.chance(0.5)) c.attr("pads", ints_attr({pad, pad, pad, pad}));
  return c;
}

// int8 where both kernels take it at X (cuDNN reads int8 X only), else the 8-bit type they share.
DataType int8_if_taken(CaseContext& ctx) {
  try {
    return ctx.dtype({0}, KILN_DTYPE_BIT(KILN_DTYPE_INT8), false);
  } catch (const NoCase&) {
    return ctx.dtype({0}, kQuant8, false);
  }
}

// Half of the cases in the GPU INT8 kernels' form, on symmetric int8 X and symmetric int8 weights, so that such a
// kernel runs some; the other half (1-D, groups, asymmetric pads, zero points) is what the reference must handle.
Case conv_int8(CaseContext& ctx, const std::string&) {
  if (!ctx.draw().chance(0.5))
    return quantize_activation_and_weights(ctx, float_case(ctx, "Conv"), 0);  // W [M, C/group, k...]: M first
  Case c = tensor_core_conv(ctx);
  quantize_input(c, 0, int8_if_taken(ctx), ctx.draw(), true);
  if (ctx.draw().chance(0.5)) put_on_grid(c.inputs.at(1), 0, ctx.draw(), true);
  return c;
}

// A product as GPU INT8 GEMM kernels take it: A's rows of K int8 values (K in 16s, read as 16-byte rows) by a
// constant B of N columns (N in 8s); Gemm's C a bias (one value or one per column), alpha and beta now and then.
Case tensor_core_product(CaseContext& ctx, const std::string& op_type) {
  Draw& d = ctx.draw();
  const int64_t m = ctx.empty_edge() ? 0 : d.integer(1, 70), k = 16 * d.integer(1, 4), n = 8 * d.integer(1, 4);
  std::vector<int64_t> a = {m, k};
  if (op_type == "MatMul" && d.chance(0.4)) a.insert(a.begin(), d.integer(1, 3));
  const bool trans_b = op_type == "Gemm" && d.chance(0.5);
  const double bound = std::sqrt(3.0 / static_cast<double>(k));
  Case c = ctx.make(op_type);
  c.input("A", ctx.random(KILN_DTYPE_FLOAT32, a));
  c.constant("B", ctx.random(KILN_DTYPE_FLOAT32, trans_b ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n}, -bound, bound));
  if (op_type != "Gemm") return c;
  if (d.chance(0.7)) c.constant("C", ctx.random(KILN_DTYPE_FLOAT32, d.pick(std::vector<std::vector<int64_t>>{{}, {n}, {1, n}})));
  if (trans_b) c.attr("transB", int_attr(1));
  if (d.chance(0.4)) c.attr("alpha", float_attr(static_cast<float>(d.real(0.25, 2))));
  if (d.chance(0.4)) c.attr("beta", float_attr(static_cast<float>(d.real(0.25, 2))));
  return c;
}

// Half of the products in the GPU INT8 kernels' form (above), on symmetric int8 A and, half of the time, B on a
// symmetric grid per output column, so that such a kernel runs some; the other half is the reference's breadth.
Case product_int8(CaseContext& ctx, Case general, const std::string& op_type, bool trans_b) {
  if (!ctx.draw().chance(0.5)) return quantize_activation_and_weights(ctx, general, trans_b ? 0 : 1);  // B's columns
  Case c = tensor_core_product(ctx, op_type);
  const bool c_trans_b = c.attributes.count("transB") && c.attributes["transB"].i != 0;
  quantize_input(c, 0, int8_if_taken(ctx), ctx.draw(), true);
  if (ctx.draw().chance(0.5)) put_on_grid(c.inputs.at(1), c_trans_b ? 0 : 1, ctx.draw(), true);
  return c;
}

// Gemm with A read as stored (transA=0: INT8 kernels read A's rows) and B a constant, as exported weights are.
Case gemm_int8(CaseContext& ctx, const std::string&) {
  Case c = float_case(ctx, "Gemm");
  if (c.attributes.count("transA")) {
    c.attributes.erase("transA");
    const std::vector<int64_t>& km = c.inputs[0].data.dims();
    c.inputs[0].data = ctx.random(KILN_DTYPE_FLOAT32, {km[1], km[0]});
  }
  c.inputs[1].constant = true;
  const bool trans_b = c.attributes.count("transB") && c.attributes["transB"].i != 0;
  return product_int8(ctx, c, "Gemm", trans_b);
}

// MatMul of an activation A (a row, rows, or batches of rows) by a constant B [K, N], a Linear layer's form.
Case matmul_int8(CaseContext& ctx, const std::string&) {
  Draw& d = ctx.draw();
  const int64_t m = ctx.empty_edge() ? 0 : d.integer(1, 6), k = d.integer(1, 8), n = d.integer(1, 6);
  std::vector<int64_t> a = {m, k};
  const int form = static_cast<int>(d.integer(0, 2));
  if (form == 1) a = {k};
  if (form == 2) a.insert(a.begin(), d.integer(1, 3));
  const double bound = std::sqrt(3.0 / static_cast<double>(k));
  Case c = ctx.make("MatMul");
  c.input("A", ctx.random(KILN_DTYPE_FLOAT32, a));
  c.constant("B", ctx.random(KILN_DTYPE_FLOAT32, {k, n}, -bound, bound));
  return product_int8(ctx, c, "MatMul", false);
}

// Both operands of a float Conv or MatMul case as int8/uint8 integers over their whole range, with zero points
// (per tensor) now and then; other inputs (a bias) dropped, as the integer ops have none.
Case integer_operands(CaseContext& ctx, Case c, const std::string& op_type) {
  Draw& d = ctx.draw();
  c.op_type = op_type;
  c.inputs.resize(2);
  for (size_t i = 0; i < 2; ++i) {
    const DataType t = ctx.dtype({i, i + 2}, kQuant8, false);
    const double lo = t == KILN_DTYPE_UINT8 ? 0 : -128, hi = t == KILN_DTYPE_UINT8 ? 255 : 127;
    c.inputs[i].data = ctx.random(t, c.inputs[i].data.dims(), lo, hi);
  }
  const bool zero_points = d.chance(0.7);
  for (size_t i = 0; i < 2 && zero_points; ++i) {
    const DataType t = c.inputs[i].data.dtype();
    const std::string name = c.inputs[i].name + "_zero_point";
    const bool is_u8 = t == KILN_DTYPE_UINT8;
    if (d.chance(0.7)) c.constant(name, ctx.random(t, {}, is_u8 ? 100 : -20, is_u8 ? 156 : 20));
    else c.omitted(name);
  }
  return c;
}

// A float Conv or MatMul case as QLinearConv / QLinearMatMul: each operand's integers over their whole range
// with a scale and zero point (per tensor), then y's scale and zero point: about 40 steps per standard deviation
// of sum(a * b) over `fan_in` terms of full-range integers, so the tails saturate.
Case qlinear_operands(CaseContext& ctx, const Case& f, const std::string& op_type, int64_t fan_in) {
  Draw& d = ctx.draw();
  Case c = ctx.make(op_type);
  c.attributes = f.attributes;
  double product_scale = 1;
  for (size_t i = 0; i < 2; ++i) {
    const DataType t = ctx.dtype({3 * i}, kQuant8, false);
    const bool is_u8 = t == KILN_DTYPE_UINT8;
    const CaseInput& operand = f.inputs[i];
    const auto scale = static_cast<float>(d.real(0.005, 0.05));
    product_scale *= scale;
    c.inputs.push_back(CaseInput{operand.name, ctx.random(t, operand.data.dims(), is_u8 ? 0 : -128, is_u8 ? 255 : 127),
                                 operand.constant, false, std::nullopt});
    c.constant(operand.name + "_scale", ctx.random(KILN_DTYPE_FLOAT32, {}, scale, scale));
    c.constant(operand.name + "_zero_point", ctx.random(t, {}, is_u8 ? 100 : -20, is_u8 ? 156 : 20));
  }
  const DataType y = ctx.dtype({7}, kQuant8, true);
  const double y_scale = product_scale * std::sqrt(static_cast<double>(std::max<int64_t>(fan_in, 1))) * 128;
  c.constant("y_scale", ctx.random(KILN_DTYPE_FLOAT32, {}, y_scale, y_scale));
  c.constant("y_zero_point", ctx.random(y, {}, y == KILN_DTYPE_UINT8 ? 100 : -20, y == KILN_DTYPE_UINT8 ? 156 : 20));
  return c;
}

Case qlinear_conv(CaseContext& ctx, const std::string&) {
  const Case f = float_case(ctx, "Conv");
  const Tensor& w = f.inputs[1].data;
  Case c = qlinear_operands(ctx, f, "QLinearConv", w.numel() / std::max<int64_t>(w.dims()[0], 1));
  if (ctx.draw().chance(0.5)) c.constant("B", ctx.random(KILN_DTYPE_INT32, {w.dims()[0]}, -1000, 1000));
  return c;
}

Case qlinear_matmul(CaseContext& ctx, const std::string&) {
  const Case f = float_case(ctx, "MatMul");
  return qlinear_operands(ctx, f, "QLinearMatMul", f.inputs[0].data.dims().back());
}

Case conv_integer(CaseContext& ctx, const std::string&) {
  return integer_operands(ctx, float_case(ctx, "Conv"), "ConvInteger");
}

Case matmul_integer(CaseContext& ctx, const std::string&) {
  return integer_operands(ctx, float_case(ctx, "MatMul"), "MatMulInteger");
}

}  // namespace

std::vector<CaseGenerator> integer_op_generators() {
  return {
      {"", "ConvInteger", 10, 22, &conv_integer},
      {"", "MatMulInteger", 10, 22, &matmul_integer},
      // Requantizing: an int8 output may be one step off where a pack's float arithmetic rounds a tie otherwise.
      {"", "QLinearConv", 10, 22, &qlinear_conv, 1, true},
      {"", "QLinearMatMul", 10, 22, &qlinear_matmul, 1, true},
  };
}

std::vector<CaseGenerator> int8_generators() {
  return {
      {"", "Conv", 11, 22, &conv_int8, 4},
      {"", "Gemm", 13, 22, &gemm_int8, 4},
      {"", "MatMul", 13, 22, &matmul_int8, 4},
  };
}

}  // namespace kiln::check
