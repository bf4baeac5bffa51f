// The INT8 rows of the kernel table (docs/quantization.md): the INT8 convolutions (ConvFusedInt8, ConvInt8, and
// their FirstLayer twins), the INT8 products (GemmInt8, MatMulInt8),
// int8 pooling and Concat, QuantizeLinear and DequantizeLinear.
//
// A case quantizes its float inputs with QuantizeLinear, runs the INT8 node on the integers (whose values carry
// per-tensor quantization parameters, Value::quant, as the builder's INT8 passes leave them) and dequantizes the
// result, as an INT8 network's borders do. The integers in between are the engine's own values: stored NHWC
// where the kernels around prefer it, or kept linear (`linear`: a Flatten reads them too, and Flatten takes only
// linear values), so both of the INT8 kernels' layouts are run. (An int8 graph input or output would not do: the
// host/device copies the builder inserts do not carry quantization parameters over.)
//
// The oracle is the reference pack: its INT8 convolutions (fused-pattern kernels, so those cases let the oracle
// fuse), its integer MaxPool and byte Concat; where it has no INT8 kernel (AveragePool, a MaxPool that
// requantizes) the float chain the INT8 node stands for, DequantizeLinear -> op -> QuantizeLinear. A dequantized
// output may be one step of its grid off (a float epilogue rounding a tie the other way). INT8 cases run in fp32
// only: `precision` does not apply to values that are already integers.
#ifndef KILN_TESTS_CUDA_INT8_CASES_HPP
#define KILN_TESTS_CUDA_INT8_CASES_HPP

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "case_builder.hpp"
#include "kernel_case.hpp"

namespace kiln::cuda_test::int8 {

inline Quantization grid(float scale, int32_t zero_point = 0, DataType dtype = KILN_DTYPE_INT8) {
  return Quantization::per_tensor(scale, zero_point, dtype);
}

// The grids of the convolution cases: X's integers stand for [-2.54, 2.54]; weights scaled by their fan-in keep
// the outputs near that range, which Y's grid covers (the tails saturate).
inline const Quantization& x_grid() {
  static const Quantization q = grid(0.02f);
  return q;
}
inline const Quantization& y_grid() {
  static const Quantization q = grid(0.05f);
  return q;
}
inline const Quantization& residual_grid() {
  static const Quantization q = grid(0.03f);
  return q;
}

// x quantized onto `q` by a QuantizeLinear; the integers carry q, as the builder's passes leave them.
inline Value* quantize(CaseBuilder& b, Value* x, const std::string& name, const Quantization& q, const std::string& output = "") {
  return b.quantized(b.op("QuantizeLinear", {x, b.scale_of(name + "_scale", q), b.zero_point_of(name + "_zero", q)}, {}, 13, output), q);
}

inline Value* dequantize(CaseBuilder& b, Value* x, const std::string& name, const Quantization& q, const std::string& output = "") {
  return b.op("DequantizeLinear", {x, b.scale_of(name + "_scale", q), b.zero_point_of(name + "_zero", q)}, {}, 13, output);
}

// A float input quantized onto q, covering its whole range and a little more (so that it saturates too).
inline Value* quantized_input(CaseBuilder& b, const std::string& name, const std::vector<int64_t>& dims, const Quantization& q) {
  const float zero = static_cast<float>(q.zero_points.at(0)), scale = q.scales.at(0);
  const float lo = q.dtype == KILN_DTYPE_UINT8 ? -zero : -128.f - zero, hi = q.dtype == KILN_DTYPE_UINT8 ? 255.f - zero : 127.f - zero;
  return quantize(b, b.input(name, dims, (lo - 2.f) * scale, (hi + 2.f) * scale), name, q);
}

// Keeps integer value `v` stored linear (Flatten takes no other layout) and makes its integers an output too.
inline void keep_linear(CaseBuilder& b, Value* v, const std::string& output) {
  b.output(b.op("Flatten", {v}, {{"axis", int_attr(1)}}, 13, output));
}

// ---- convolutions ----------------------------------------------------------------------------------------------

struct ConvShape {
  std::string name;
  std::vector<int64_t> x, w;  // NCHW input, [K, C, kH, kW] weight
  int64_t stride = 1, pad = 0;
};

inline const std::vector<ConvShape>& conv_shapes() {
  static const std::vector<ConvShape> shapes = {
      {"1x1_c64_k128_n2", {2, 64, 14, 14}, {128, 64, 1, 1}, 1, 0},
      {"3x3_p1_c64_k64_n2", {2, 64, 14, 14}, {64, 64, 3, 3}, 1, 1},
      {"3x3_s2_p1_c128_k256_n1", {1, 128, 15, 15}, {256, 128, 3, 3}, 2, 1},
      {"1x1_s2_c256_k128_n1", {1, 256, 9, 9}, {128, 256, 1, 1}, 2, 0},
      {"7x7_s2_p3_c16_k64_n1", {1, 16, 33, 31}, {64, 16, 7, 7}, 2, 3},  // a stem's window on 16 channels
      // First layers of few channels, stride 2: the space-to-depth path (odd and even image sizes).
      {"7x7_s2_p3_c3_k64_n2", {2, 3, 34, 31}, {64, 3, 7, 7}, 2, 3},
      {"3x3_s2_p1_c4_k32_n1", {1, 4, 15, 16}, {32, 4, 3, 3}, 2, 1},
      {"5x5_s2_p2_c1_k16_n2", {2, 1, 19, 20}, {16, 1, 5, 5}, 2, 2},
      {"3x3_p1_c20_k10_n3", {3, 20, 9, 11}, {10, 20, 3, 3}, 1, 1},      // K padded: the legacy path
  };
  return shapes;
}

inline const ConvShape& conv_shape(const std::string& name) {
  for (const ConvShape& s : conv_shapes())
    if (s.name == name) return s;
  throw std::runtime_error("no INT8 conv shape " + name);
}

inline std::vector<int64_t> conv_output_dims(const ConvShape& s) {
  std::vector<int64_t> out = {s.x[0], s.w[0]};
  for (size_t d = 0; d < 2; ++d) out.push_back((s.x[2 + d] + 2 * s.pad - s.w[2 + d]) / s.stride + 1);
  return out;
}

// What a case puts around the Conv.
struct ConvChain {
  std::string shape;
  bool bias = false, bn = false;
  int add = 0;               // 0: none; 1: Add(conv, int8 residual); 2: Add(int8 residual, conv); 3: a float residual
  std::string act;           // "", "Relu" or "Clip" (ReLU6)
  bool float_y = false;      // Y float32 (an INT8 layer before float readers) instead of int8
  bool linear = false;       // X and Y stored linear (else NHWC, as the kernels prefer)
  bool own_weights = false;  // W on an int8 grid carrying its parameters (a folded DequantizeLinear)

  size_t steps() const { return 1 + bn + (add != 0) + !act.empty(); }
  std::string name() const {
    return std::string(steps() > 1 ? "ConvFusedInt8_" : "ConvInt8_") + shape + (bias ? "_bias" : "") + (bn ? "_bn" : "") +
           (add == 1 ? "_add" : add == 2 ? "_addfirst" : add == 3 ? "_addfloat" : "") + (act.empty() ? "" : "_" + act) +
           (float_y ? "_floaty" : "") + (linear ? "_linear" : "") + (own_weights ? "_ownweights" : "");
  }
};

inline Value* batch_norm(CaseBuilder& b, Value* x, int64_t channels) {
  return b.op("BatchNormalization",
              {x, b.weight("bn_scale", {channels}, 0.5f, 1.5f), b.weight("bn_bias", {channels}, -0.5f, 0.5f),
               b.weight("bn_mean", {channels}, -0.5f, 0.5f), b.weight("bn_var", {channels}, 0.5f, 2.f)},
              {{"epsilon", float_attr(1e-5f)}}, 15);
}

// A weight on a per-output-channel int8 grid, its scales near those of a fan-in-scaled weight.
inline Value* grid_weight(CaseBuilder& b, const ConvShape& s) {
  const float bound = std::sqrt(3.f / static_cast<float>(s.w[1] * s.w[2] * s.w[3]));
  std::vector<float> scales;
  for (int64_t m = 0; m < s.w[0]; ++m) scales.push_back(bound / 127.f * (0.5f + 0.01f * static_cast<float>(m % 50)));
  return b.grid_weight("w", s.w, scales);
}

inline void build_conv_chain(CaseBuilder& b, const ConvChain& c) {
  const ConvShape& s = conv_shape(c.shape);
  Value* x = quantized_input(b, "x", s.x, x_grid());
  if (c.linear) keep_linear(b, x, "x_integers");
  Value* w = c.own_weights ? grid_weight(b, s) : b.scaled_weight("w", s.w, s.w[1] * s.w[2] * s.w[3]);
  std::vector<Value*> inputs = {x, w};
  if (c.bias) inputs.push_back(b.weight("b", {s.w[0]}, -0.5f, 0.5f));
  const Attrs attrs = {{"kernel_shape", ints_attr({s.w[2], s.w[3]})},
                       {"strides", ints_attr({s.stride, s.stride})},
                       {"pads", ints_attr({s.pad, s.pad, s.pad, s.pad})}};
  Value* y = b.op("Conv", inputs, attrs, 11);
  if (c.bn) y = batch_norm(b, y, s.w[0]);
  if (c.add) {
    const std::vector<int64_t> out = conv_output_dims(s);
    Value* residual = c.add == 3 ? b.input("residual", out) : quantized_input(b, "residual", out, residual_grid());
    y = b.op("Add", c.add == 2 ? std::vector<Value*>{residual, y} : std::vector<Value*>{y, residual}, {}, 14);
  }
  if (c.act == "Relu") y = b.op("Relu", {y}, {}, 14, c.float_y ? "y" : "");
  if (c.act == "Clip") y = b.op("Clip", {y, b.scalar("clip_lo", 0.f), b.scalar("clip_hi", 6.f)}, {}, 13, c.float_y ? "y" : "");
  if (c.float_y) {
    y->dtype = KILN_DTYPE_FLOAT32;
    b.output(y);
    return;
  }
  b.quantized(y, y_grid());
  if (c.linear) keep_linear(b, y, "y_integers");
  b.output(dequantize(b, y, "y", y_grid(), "y"));
}

inline std::vector<KernelCase> conv_cases() {
  std::vector<ConvChain> chains;
  const auto add = [&](ConvChain c) { chains.push_back(std::move(c)); };
  // Fused chains, as ResNet and MobileNet have them.
  add({"3x3_p1_c64_k64_n2", false, true, 0, "Relu"});
  add({"3x3_p1_c64_k64_n2", false, true, 0, "Relu", false, true});        // X and Y linear
  add({"1x1_c64_k128_n2", true, false, 0, "Relu"});
  add({"3x3_p1_c64_k64_n2", false, true, 1, "Relu"});                     // a basic block's second conv
  add({"3x3_p1_c64_k64_n2", false, true, 2, "Relu", false, true});        // the residual first, linear
  add({"1x1_s2_c256_k128_n1", false, true, 1, ""});                       // no activation after the Add
  add({"3x3_s2_p1_c128_k256_n1", false, true, 0, "", true});              // float Y
  add({"1x1_s2_c256_k128_n1", true, false, 0, "Clip"});                   // ReLU6
  add({"7x7_s2_p3_c16_k64_n1", false, true, 0, "Relu"});                  // a stem window
  add({"7x7_s2_p3_c3_k64_n2", false, true, 0, "Relu"});                   // ResNet's stem: space-to-depth
  add({"7x7_s2_p3_c3_k64_n2", true, false, 0, "Relu", false, true});      // ... X read and Y written linear
  add({"3x3_s2_p1_c4_k32_n1", false, true, 1, "Clip"});                   // ... with a residual, ReLU6
  add({"5x5_s2_p2_c1_k16_n2", true, false, 2, "", false, true});          // ... the residual first, linear
  add({"3x3_p1_c20_k10_n3", true, false, 0, "Relu", false, true});
  add({"1x1_c64_k128_n2", false, false, 0, "Relu", false, false, true});  // W's own parameters
  add({"1x1_c64_k128_n2", false, true, 3, "Relu", true});                 // a float residual, float Y
  // Lone convolutions (nothing to fuse: a QDQ model's projection shortcut).
  add({"3x3_s2_p1_c128_k256_n1", true, false, 0, ""});
  add({"1x1_c64_k128_n2", false, false, 0, "", true});
  add({"1x1_s2_c256_k128_n1", false, false, 0, "", false, true});
  add({"3x3_s2_p1_c4_k32_n1", true, false, 0, ""});                       // a first layer, space-to-depth
  std::vector<KernelCase> cases;
  for (const ConvChain& c : chains) {
    const bool fused = c.steps() > 1;
    const bool first_layer = conv_shape(c.shape).w[1] < 16;
    KernelCase k(c.name(), [c](CaseBuilder& b) { build_conv_chain(b, c); }, Accuracy::Quantized,
                 fused ? (first_layer ? "kiln.cuda.ConvFusedInt8FirstLayer" : "kiln.cuda.ConvFusedInt8") : "", false);
    k.fused_oracle = fused;
    k.fused_steps = c.steps();
    k.step = c.float_y ? 0 : y_grid().scales[0];
    cases.push_back(std::move(k));
  }
  return cases;
}

// ---- pooling ---------------------------------------------------------------------------------------------------

struct PoolCase {
  std::string op, name;
  std::vector<int64_t> x;
  Attrs attrs;
  Quantization in, out;
  bool linear = false;
};

inline int pool_opset(const PoolCase& p) { return p.op == "MaxPool" ? 12 : 11; }
inline bool is_max(const PoolCase& p) { return p.op == "MaxPool" || p.op == "GlobalMaxPool"; }

// Q -> pool on the integers -> DQ.
inline void build_int8_pool(CaseBuilder& b, const PoolCase& p) {
  Value* x = quantized_input(b, "x", p.x, p.in);
  if (p.linear) keep_linear(b, x, "x_integers");
  Value* y = b.quantized(b.op(p.op, {x}, p.attrs, pool_opset(p)), p.out);
  if (p.linear) keep_linear(b, y, "y_integers");
  b.output(dequantize(b, y, "y", p.out, "y"));
}

// What the reference computes instead: Q -> DQ -> pool on the reals -> Q -> DQ.
inline void build_float_pool(CaseBuilder& b, const PoolCase& p) {
  Value* x = quantized_input(b, "x", p.x, p.in);
  if (p.linear) keep_linear(b, x, "x_integers");
  Value* real = b.op(p.op, {dequantize(b, x, "x_real", p.in)}, p.attrs, pool_opset(p));
  Value* y = quantize(b, real, "y_real", p.out);
  if (p.linear) keep_linear(b, y, "y_integers");
  b.output(dequantize(b, y, "y", p.out, "y"));
}

inline std::vector<KernelCase> pool_cases() {
  const auto k = [](int64_t h, int64_t w) { return ints_attr({h, w}); };
  const Quantization same = x_grid();
  const std::vector<PoolCase> pools = {
      {"MaxPool", "3x3_s2_p1_same_grid_1x64x15x15", {1, 64, 15, 15},
       {{"kernel_shape", k(3, 3)}, {"strides", k(2, 2)}, {"pads", ints_attr({1, 1, 1, 1})}}, same, same},
      // uint8 with a zero point on one grid: the integer SIMD max path (dense NHWC, 16-channel rows).
      {"MaxPool", "3x3_s2_p1_same_grid_uint8_2x32x9x9", {2, 32, 9, 9},
       {{"kernel_shape", k(3, 3)}, {"strides", k(2, 2)}, {"pads", ints_attr({1, 1, 1, 1})}},
       grid(0.02f, 128, KILN_DTYPE_UINT8), grid(0.02f, 128, KILN_DTYPE_UINT8)},
      {"MaxPool", "2x2_s2_same_grid_linear_2x32x8x8", {2, 32, 8, 8}, {{"kernel_shape", k(2, 2)}, {"strides", k(2, 2)}}, same, same, true},
      // The run path (4 neighbouring outputs of a row per thread): an inception branch's 3x3/1, GoogLeNet's
      // 3x3/2 with ceil_mode, 2x2/2, each with a width that leaves a ragged last run; a 5x5 and a dilated 3x3
      // take the one-output path.
      {"MaxPool", "3x3_s1_p1_same_grid_2x48x9x11", {2, 48, 9, 11},
       {{"kernel_shape", k(3, 3)}, {"pads", ints_attr({1, 1, 1, 1})}}, same, same},
      {"MaxPool", "3x3_s2_ceil_same_grid_1x32x14x13", {1, 32, 14, 13},
       {{"kernel_shape", k(3, 3)}, {"strides", k(2, 2)}, {"ceil_mode", int_attr(1)}}, same, same},
      {"MaxPool", "2x2_s2_same_grid_uint8_1x16x7x9", {1, 16, 7, 9}, {{"kernel_shape", k(2, 2)}, {"strides", k(2, 2)}},
       grid(0.02f, 128, KILN_DTYPE_UINT8), grid(0.02f, 128, KILN_DTYPE_UINT8)},
      {"MaxPool", "3x2_s1x2_p1_same_grid_1x16x6x10", {1, 16, 6, 10},
       {{"kernel_shape", k(3, 2)}, {"strides", k(1, 2)}, {"pads", ints_attr({1, 0, 1, 0})}}, same, same},
      {"MaxPool", "5x5_s1_p2_same_grid_1x16x7x6", {1, 16, 7, 6},
       {{"kernel_shape", k(5, 5)}, {"pads", ints_attr({2, 2, 2, 2})}}, same, same},
      {"MaxPool", "3x3_dilation2_same_grid_1x16x9x9", {1, 16, 9, 9}, {{"kernel_shape", k(3, 3)}, {"dilations", k(2, 2)}},
       same, same},
      {"MaxPool", "3x3_s1_p1_requantized_2x16x9x11", {2, 16, 9, 11},
       {{"kernel_shape", k(3, 3)}, {"pads", ints_attr({1, 1, 1, 1})}}, same, grid(0.015f)},
      {"MaxPool", "3x3_s2_ceil_uint8_zero_points_1x24x10x13", {1, 24, 10, 13},
       {{"kernel_shape", k(3, 3)}, {"strides", k(2, 2)}, {"ceil_mode", int_attr(1)}}, grid(0.02f, 128, KILN_DTYPE_UINT8),
       grid(0.025f, 120, KILN_DTYPE_UINT8), true},
      // Global pools of integers: a window over the whole image (the average requantized, the max on one grid).
      {"GlobalAveragePool", "2x32x7x7", {2, 32, 7, 7}, {}, same, grid(0.004f)},
      {"GlobalAveragePool", "uint8_zero_points_linear_1x24x5x6", {1, 24, 5, 6}, {}, grid(0.02f, 128, KILN_DTYPE_UINT8),
       grid(0.01f, 100, KILN_DTYPE_UINT8), true},
      {"GlobalMaxPool", "same_grid_2x32x7x7", {2, 32, 7, 7}, {}, same, same},
      {"AveragePool", "3x3_p1_exclude_pad_2x16x9x11", {2, 16, 9, 11},
       {{"kernel_shape", k(3, 3)}, {"pads", ints_attr({1, 1, 1, 1})}, {"count_include_pad", int_attr(0)}}, same, grid(0.01f)},
      {"AveragePool", "2x2_s2_include_pad_1x32x14x14", {1, 32, 14, 14},
       {{"kernel_shape", k(2, 2)}, {"strides", k(2, 2)}, {"pads", ints_attr({0, 0, 1, 1})}, {"count_include_pad", int_attr(1)}},
       same, same, true},
  };
  std::vector<KernelCase> cases;
  for (const PoolCase& p : pools) {
    // A max requantized computes what Q -> DQ -> MaxPool -> Q does, float operation for float operation; an average
    // sums in another order.
    KernelCase c(p.op + "_int8_" + p.name, [p](CaseBuilder& b) { build_int8_pool(b, p); },
                 is_max(p) ? Accuracy::Exact : Accuracy::Quantized, "", false);
    // The reference's MaxPool takes integers on one grid as they are; anything else is checked against reals.
    if (!(p.op == "MaxPool" && p.in == p.out)) c.oracle_build = [p](CaseBuilder& b) { build_float_pool(b, p); };
    if (!is_max(p)) c.step = p.out.scales[0];
    cases.push_back(std::move(c));
  }
  return cases;
}

// ---- Concat ----------------------------------------------------------------------------------------------------

// Q(a), Q(b), ... on one grid -> Concat -> DQ.
inline void build_int8_concat(CaseBuilder& b, const std::vector<std::vector<int64_t>>& inputs, int64_t axis, bool linear) {
  const Quantization q = x_grid();
  std::vector<Value*> integers;
  for (size_t i = 0; i < inputs.size(); ++i) integers.push_back(quantized_input(b, std::string(1, static_cast<char>('a' + i)), inputs[i], q));
  Value* y = b.quantized(b.op("Concat", integers, {{"axis", int_attr(axis)}}), q);
  if (linear) keep_linear(b, y, "y_integers");
  b.output(dequantize(b, y, "y", q, "y"));
}

inline std::vector<KernelCase> concat_cases() {
  return {
      // NHWC along C: whole 16-byte rows per pixel (32 and 48 channels).
      {"Concat_int8_axis1_nhwc_2x32_2x48", [](CaseBuilder& b) { build_int8_concat(b, {{2, 32, 6, 5}, {2, 48, 6, 5}}, 1, false); },
       Accuracy::Exact, "", false},
      {"Concat_int8_axis1_linear_2x16_2x8", [](CaseBuilder& b) { build_int8_concat(b, {{2, 16, 5, 7}, {2, 8, 5, 7}}, 1, true); },
       Accuracy::Exact, "", false},
      {"Concat_int8_axis2_three_inputs", [](CaseBuilder& b) {
         build_int8_concat(b, {{2, 3, 4, 5}, {2, 3, 1, 5}, {2, 3, 6, 5}}, 2, false);
       }, Accuracy::Exact, "", false},
  };
}

// ---- QuantizeLinear / DequantizeLinear ----------------------------------------------------------------------------

// A 1-D per-axis scale or zero point constant.
inline Value* per_axis_scales(CaseBuilder& b, const std::string& name, int64_t n, float first) {
  std::vector<float> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(first * (1.0f + 0.25f * static_cast<float>(i)));
  return b.floats(name, v);
}
inline Value* per_axis_zeros(CaseBuilder& b, const std::string& name, int64_t n, DataType dtype) {
  Tensor t(dtype, {n});
  for (int64_t i = 0; i < n; ++i) {
    if (dtype == KILN_DTYPE_INT8) t.as<int8_t>()[i] = static_cast<int8_t>(i * 7 - 20);
    else t.as<uint8_t>()[i] = static_cast<uint8_t>(100 + i * 5);
  }
  return b.constant(name, std::move(t));
}

inline Value* half_scalar(CaseBuilder& b, const std::string& name, float x) {
  Tensor t(KILN_DTYPE_FLOAT16, {});
  t.as<float16>()[0] = float16(x);
  return b.constant(name, std::move(t));
}

// The integers are graph inputs and outputs here: QuantizeLinear and DequantizeLinear read their parameters
// from their own inputs, not from the values.
inline std::vector<KernelCase> qdq_cases() {
  const Quantization s8 = grid(0.02f), u8 = grid(0.05f, 128, KILN_DTYPE_UINT8);
  return {
      {"QuantizeLinear_int8_2x3x9x11", [s8](CaseBuilder& b) {
         b.op("QuantizeLinear", {b.input("x", {2, 3, 9, 11}, -3.f, 3.f), b.scale_of("s", s8), b.zero_point_of("z", s8)}, {}, 13);
       }, Accuracy::Exact, "", false},
      {"QuantizeLinear_uint8_zero_point_5x17", [u8](CaseBuilder& b) {
         b.op("QuantizeLinear", {b.input("x", {5, 17}, -8.f, 8.f), b.scale_of("s", u8), b.zero_point_of("z", u8)}, {}, 13);
       }, Accuracy::Exact, "", false},
      {"QuantizeLinear_no_zero_point_uint8_opset10_100003", [u8](CaseBuilder& b) {
         b.op("QuantizeLinear", {b.input("x", {100003}, -1.f, 14.f), b.scale_of("s", u8)}, {}, 10);
       }, Accuracy::Exact, "", false},
      {"QuantizeLinear_per_axis1_int8_2x8x5x7", [](CaseBuilder& b) {
         b.op("QuantizeLinear", {b.input("x", {2, 8, 5, 7}, -3.f, 3.f), per_axis_scales(b, "s", 8, 0.01f),
                                 per_axis_zeros(b, "z", 8, KILN_DTYPE_INT8)}, {{"axis", int_attr(1)}}, 13);
       }, Accuracy::Exact, "", false},
      {"QuantizeLinear_per_axis_of_an_empty_axis_2x0x5", [](CaseBuilder& b) {  // no scales at all (found by kiln plugin check)
         b.op("QuantizeLinear", {b.input("x", {2, 0, 5}, -3.f, 3.f), per_axis_scales(b, "s", 0, 0.01f),
                                 per_axis_zeros(b, "z", 0, KILN_DTYPE_INT8)}, {{"axis", int_attr(1)}}, 13);
       }, Accuracy::Exact, "", false},
      {"QuantizeLinear_float16_input_1x16x7x7", [s8](CaseBuilder& b) {
         b.op("QuantizeLinear", {b.input_tensor("x", b.random_halves({1, 16, 7, 7}, -3.f, 3.f)), b.scale_of("s", s8),
                                 b.zero_point_of("z", s8)}, {}, 13);
       }, Accuracy::Exact, "", false},
      {"QuantizeLinear_float16_quotient_1x16x7x7", [s8](CaseBuilder& b) {  // x and the scale float16: so is the quotient
         b.op("QuantizeLinear", {b.input_tensor("x", b.random_halves({1, 16, 7, 7}, -3.f, 3.f)), half_scalar(b, "s", 0.02f),
                                 b.zero_point_of("z", s8)}, {}, 19);
       }, Accuracy::Exact, "", false},
      {"DequantizeLinear_int8_2x3x9x11", [s8](CaseBuilder& b) {
         b.op("DequantizeLinear", {b.quantized_input("x", {2, 3, 9, 11}, s8, -128, 127), b.scale_of("s", s8), b.zero_point_of("z", s8)}, {}, 13);
       }, Accuracy::Exact, "", false},
      {"DequantizeLinear_uint8_zero_point_5x17", [u8](CaseBuilder& b) {
         b.op("DequantizeLinear", {b.quantized_input("x", {5, 17}, u8, 0, 255), b.scale_of("s", u8), b.zero_point_of("z", u8)}, {}, 13);
       }, Accuracy::Exact, "", false},
      {"DequantizeLinear_per_axis_of_an_empty_axis_0x5", [u8](CaseBuilder& b) {
         b.op("DequantizeLinear", {b.quantized_input("x", {0, 5}, u8, 0, 255), per_axis_scales(b, "s", 0, 0.03f),
                                   per_axis_zeros(b, "z", 0, KILN_DTYPE_UINT8)}, {{"axis", int_attr(0)}}, 13);
       }, Accuracy::Exact, "", false},
      {"DequantizeLinear_per_axis0_uint8_6x5x4", [u8](CaseBuilder& b) {
         b.op("DequantizeLinear", {b.quantized_input("x", {6, 5, 4}, u8, 0, 255), per_axis_scales(b, "s", 6, 0.03f),
                                   per_axis_zeros(b, "z", 6, KILN_DTYPE_UINT8)}, {{"axis", int_attr(0)}}, 13);
       }, Accuracy::Exact, "", false},
      {"DequantizeLinear_to_float16_1x16x7x7", [s8](CaseBuilder& b) {
         b.op("DequantizeLinear", {b.quantized_input("x", {1, 16, 7, 7}, s8, -128, 127), half_scalar(b, "s", 0.02f),
                                   b.zero_point_of("z", s8)}, {}, 19);
       }, Accuracy::Exact, "", false},
  };
}

// ---- products: Gemm and MatMul on int8 A -----------------------------------------------------------------------

// A product case: int8 A of `a_dims`, B a float constant (`b_dims`), Y int8 (dequantized for the comparison) or
// float32 (`float_y`).
struct ProductCase {
  std::string name, op;
  std::vector<int64_t> a, b;
  bool float_y = false;
  Attrs attrs = {};
  int64_t bias = 0;           // Gemm's C: 0 none, else one value per column (that many)
  bool own_weights = false;   // B on an int8 grid per output column (rows of a transposed B)
};

inline void build_product(CaseBuilder& b, const ProductCase& p) {
  Value* a = quantized_input(b, "a", p.a, x_grid());
  const int64_t k = p.a.back();
  Value* w = p.own_weights ? b.grid_weight("b", p.b, std::vector<float>(static_cast<size_t>(p.b[0]), 0.2f / 127.f))
                           : b.scaled_weight("b", p.b, k);
  std::vector<Value*> inputs = {a, w};
  if (p.bias) inputs.push_back(b.weight("c", {p.bias}, -0.5f, 0.5f));
  Value* y = b.op(p.op, inputs, p.attrs, 13, p.float_y ? "y" : "");
  if (p.float_y) {
    y->dtype = KILN_DTYPE_FLOAT32;
    b.output(y);
    return;
  }
  b.quantized(y, y_grid());
  b.output(dequantize(b, y, "y", y_grid(), "y"));
}

// A classifier's head as an INT8 plan has it: integers pooled on their grid (a max over the whole 3x3 image, which
// the reference's MaxPool computes on integers), flattened on the same grid (the shape ops pass integers
// through), then the INT8 Gemm to float32 logits.
inline void build_classifier_head(CaseBuilder& b) {
  const Quantization q = x_grid();
  Value* pooled = b.quantized(b.op("MaxPool", {quantized_input(b, "x", {2, 64, 3, 3}, q)}, {{"kernel_shape", ints_attr({3, 3})}}, 12), q);
  Value* flat = b.quantized(b.op("Flatten", {pooled}, {}, 13), q);
  Value* y = b.op("Gemm", {flat, b.scaled_weight("b", {40, 64}, 64), b.weight("c", {40}, -0.5f, 0.5f)}, {{"transB", int_attr(1)}}, 13, "y");
  y->dtype = KILN_DTYPE_FLOAT32;
  b.output(y);
}

inline std::vector<KernelCase> product_cases() {
  const std::vector<ProductCase> products = {
      {"GemmInt8_transB_alpha_beta_bias_6x64x40", "Gemm", {6, 64}, {40, 64}, false,
       {{"transB", int_attr(1)}, {"alpha", float_attr(0.5f)}, {"beta", float_attr(2.0f)}}, 40},
      {"GemmInt8_B_KxN_float_y_5x32x16", "Gemm", {5, 32}, {32, 16}, true},
      {"GemmInt8_classifier_float_y_own_weights_3x128x1000", "Gemm", {3, 128}, {1000, 128}, true,
       {{"transB", int_attr(1)}}, 1000, true},
      {"MatMulInt8_3d_A_2x3x48x24", "MatMul", {2, 3, 48}, {48, 24}},
      {"MatMulInt8_float_y_130x16x8", "MatMul", {130, 16}, {16, 8}, true},  // rows past one 128-row tile
  };
  std::vector<KernelCase> cases;
  for (const ProductCase& p : products) {
    KernelCase k(p.name, [p](CaseBuilder& b) { build_product(b, p); }, Accuracy::Quantized, "", false);
    k.step = p.float_y ? 0 : y_grid().scales[0];
    cases.push_back(std::move(k));
  }
  cases.emplace_back("GemmInt8_classifier_head_max_pool_flatten_2x64x3x3", &build_classifier_head, Accuracy::Quantized, "", false);
  return cases;
}

inline std::vector<KernelCase> all_cases() {
  std::vector<KernelCase> all;
  for (auto family : {conv_cases, pool_cases, concat_cases, qdq_cases, product_cases}) {
    std::vector<KernelCase> some = family();
    all.insert(all.end(), some.begin(), some.end());
  }
  return all;
}

}  // namespace kiln::cuda_test::int8

#endif  // KILN_TESTS_CUDA_INT8_CASES_HPP
