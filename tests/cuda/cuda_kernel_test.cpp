// The CUDA pack's kernels against the CPU reference pack. Each case is one node (or one fused chain) built by
// hand with random, seeded inputs; the GPU engine (device cuda, CUDA kernels preferred) must run it on a
// kiln.cuda kernel and match the oracle (the same graph on the reference kernels, in float32, unfused), in
// fp32 and in fp16 (where the builder also stores 4-D values NHWC for the kernels that prefer it). The INT8 cases
// (int8_cases.hpp) run quantized values, in fp32 only. Then a small whole CNN, and concurrent runs of one engine
// (whose later runs replay a captured CUDA graph).
// Without a GPU every test is skipped, saying why.
//
// Run them through ctest, which starts each test in its own process: a kernel that faults (an illegal address)
// leaves the CUDA context unusable, so in one process every later test would fail too. One case alone:
//   kiln_cuda_tests --gtest_filter='*/Conv_7x7_s2_p3_n2_fp16'
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <limits>
#include <thread>

#include "case_builder.hpp"
#include "gpu_test_support.hpp"
#include "int8_cases.hpp"
#include "kernel_case.hpp"
#include "small_cnn.hpp"

namespace kiln::cuda_test {
namespace {

std::string shape_name(const std::vector<int64_t>& dims) {
  if (dims.empty()) return "scalar";
  std::string s;
  for (int64_t d : dims) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

// ---- convolutions ----------------------------------------------------------------------------------------------

struct ConvShape {
  std::string name;
  std::vector<int64_t> x, w;  // NCHW input, [M, C/group, kH, kW] weight
  Attrs attrs;                // strides, pads, dilations, group
};

std::vector<int64_t> attr_ints(const Attrs& attrs, const std::string& key, std::vector<int64_t> fallback) {
  auto it = attrs.find(key);
  return it == attrs.end() ? fallback : it->second.ints;
}

// The Conv's output dims (for the residual operand of a fused chain).
std::vector<int64_t> conv_output_dims(const ConvShape& s) {
  const std::vector<int64_t> strides = attr_ints(s.attrs, "strides", {1, 1});
  const std::vector<int64_t> pads = attr_ints(s.attrs, "pads", {0, 0, 0, 0});
  const std::vector<int64_t> dilations = attr_ints(s.attrs, "dilations", {1, 1});
  std::vector<int64_t> out = {s.x[0], s.w[0]};
  for (size_t d = 0; d < 2; ++d) {
    const int64_t extent = s.x[2 + d] + pads[d] + pads[2 + d] - dilations[d] * (s.w[2 + d] - 1) - 1;
    out.push_back(extent / strides[d] + 1);
  }
  return out;
}

Attrs with_group(Attrs attrs, int64_t group) {
  attrs["group"] = int_attr(group);
  return attrs;
}

const std::vector<ConvShape>& conv_shapes() {
  static const std::vector<ConvShape> shapes = {
      {"1x1_n1", {1, 16, 7, 9}, {8, 16, 1, 1}, {}},
      {"1x1_n3_odd", {3, 13, 5, 5}, {11, 13, 1, 1}, {}},
      {"1x1_s2_n2", {2, 24, 9, 9}, {16, 24, 1, 1}, {{"strides", ints_attr({2, 2})}}},
      {"3x3_p1_n2_odd", {2, 8, 15, 13}, {12, 8, 3, 3}, {{"pads", ints_attr({1, 1, 1, 1})}}},
      {"3x3_s2_p1_n1", {1, 16, 17, 17}, {24, 16, 3, 3}, {{"strides", ints_attr({2, 2})}, {"pads", ints_attr({1, 1, 1, 1})}}},
      {"3x3_s2_nopad_n2", {2, 5, 12, 10}, {7, 5, 3, 3}, {{"strides", ints_attr({2, 2})}}},
      {"3x3_p1_n4_c64", {4, 64, 14, 14}, {64, 64, 3, 3}, {{"pads", ints_attr({1, 1, 1, 1})}}},
      {"7x7_s2_p3_n2", {2, 3, 37, 29}, {16, 3, 7, 7}, {{"strides", ints_attr({2, 2})}, {"pads", ints_attr({3, 3, 3, 3})}}},
      {"5x5_p2_n1_wide", {1, 6, 11, 20}, {10, 6, 5, 5}, {{"pads", ints_attr({2, 2, 2, 2})}}},
      {"3x1_p1x0_n2", {2, 4, 9, 7}, {6, 4, 3, 1}, {{"pads", ints_attr({1, 0, 1, 0})}}},
      {"dilated2_3x3_p2_n1", {1, 8, 13, 13}, {8, 8, 3, 3}, {{"dilations", ints_attr({2, 2})}, {"pads", ints_attr({2, 2, 2, 2})}}},
      {"grouped3_3x3_p1_n2", {2, 12, 9, 11}, {18, 4, 3, 3}, with_group({{"pads", ints_attr({1, 1, 1, 1})}}, 3)},
      // An empty batch (kiln plugin check found cuDNN's descriptors refusing n = 0 in create).
      {"empty_batch_3x3_p1", {0, 8, 6, 5}, {4, 8, 3, 3}, {{"pads", ints_attr({1, 1, 1, 1})}}},
      {"depthwise_3x3_p1_n1", {1, 32, 14, 14}, {32, 1, 3, 3}, with_group({{"pads", ints_attr({1, 1, 1, 1})}}, 32)},
      {"depthwise_3x3_s2_p1_n3_odd", {3, 24, 15, 15}, {24, 1, 3, 3},
       with_group({{"strides", ints_attr({2, 2})}, {"pads", ints_attr({1, 1, 1, 1})}}, 24)},
  };
  return shapes;
}

const ConvShape& conv_shape(const std::string& name) {
  for (const ConvShape& s : conv_shapes())
    if (s.name == name) return s;
  throw std::runtime_error("no conv shape " + name);
}

// Conv [+ bias] on a random input, weights scaled by their fan-in.
Value* conv(CaseBuilder& b, const ConvShape& s, bool bias) {
  Attrs attrs = s.attrs;
  attrs["kernel_shape"] = ints_attr({s.w[2], s.w[3]});
  std::vector<Value*> inputs = {b.input("x", s.x), b.scaled_weight("w", s.w, s.w[1] * s.w[2] * s.w[3])};
  if (bias) inputs.push_back(b.weight("b", {s.w[0]}));
  return b.op("Conv", inputs, attrs, 11);
}

Value* batch_norm(CaseBuilder& b, Value* x, int64_t channels, const std::string& prefix = "bn") {
  return b.op("BatchNormalization",
              {x, b.weight(prefix + "_scale", {channels}, 0.5f, 1.5f), b.weight(prefix + "_bias", {channels}),
               b.weight(prefix + "_mean", {channels}), b.weight(prefix + "_var", {channels}, 0.1f, 2.f)},
              {{"epsilon", float_attr(1e-5f)}}, 15);
}

std::vector<KernelCase> conv_cases() {
  std::vector<KernelCase> cases;
  bool bias = false;
  for (const ConvShape& s : conv_shapes()) {
    bias = !bias;  // every other shape with a bias
    cases.push_back({"Conv_" + s.name + (bias ? "_bias" : ""), [s, bias](CaseBuilder& b) { conv(b, s, bias); },
                     Accuracy::Accumulating});
  }
  return cases;
}

// Conv [+ bias] [-> BatchNormalization] [-> Add(residual)] [-> Relu], as ResNet and MobileNet chain them.
struct ConvChain {
  std::string shape;
  bool bias, bn;
  int add;  // 0: none; 1: Add(conv, residual); 2: Add(residual, conv)
  bool relu;
};

std::vector<KernelCase> fused_conv_cases() {
  const std::vector<ConvChain> chains = {
      {"3x3_p1_n2_odd", true, false, 0, true},           // Conv + Relu
      {"1x1_n3_odd", false, true, 0, false},             // Conv + BN
      {"7x7_s2_p3_n2", false, true, 0, true},            // the ResNet stem
      {"depthwise_3x3_s2_p1_n3_odd", false, true, 0, true},  // MobileNet
      {"3x3_p1_n4_c64", false, true, 1, true},           // a ResNet basic block's second conv
      {"1x1_s2_n2", false, true, 1, true},
      {"grouped3_3x3_p1_n2", true, true, 1, true},
      {"3x3_s2_p1_n1", false, true, 1, false},           // no activation after the Add
      {"3x3_s2_nopad_n2", true, false, 1, true},         // no BN
      {"1x1_n1", false, true, 2, true},                  // the residual as Add's first input
      {"5x5_p2_n1_wide", true, true, 2, true},
  };
  std::vector<KernelCase> cases;
  for (const ConvChain& c : chains) {
    std::string name = "ConvFused_" + c.shape + (c.bias ? "_bias" : "") + (c.bn ? "_bn" : "") +
                       (c.add == 1 ? "_add" : c.add == 2 ? "_addfirst" : "") + (c.relu ? "_relu" : "");
    cases.push_back({name,
                     [c](CaseBuilder& b) {
                       const ConvShape& s = conv_shape(c.shape);
                       Value* y = conv(b, s, c.bias);
                       if (c.bn) y = batch_norm(b, y, s.w[0]);
                       if (c.add) {
                         Value* residual = b.input("residual", conv_output_dims(s));
                         y = b.op("Add", c.add == 1 ? std::vector<Value*>{y, residual} : std::vector<Value*>{residual, y}, {}, 14);
                       }
                       if (c.relu) b.op("Relu", {y}, {}, 14);
                     },
                     Accuracy::Accumulating, "kiln.cuda.ConvFused"});
  }
  return cases;
}

// ---- matrix products -------------------------------------------------------------------------------------------

struct GemmShape {
  std::string name;
  std::vector<int64_t> a, b, c;  // c empty: no C
  Attrs attrs;
  bool b_input = false;  // B a run-time input rather than a constant
};

Value* gemm(CaseBuilder& b, const GemmShape& g) {
  const bool trans_b = g.attrs.count("transB") && g.attrs.at("transB").i;
  Value* rhs = g.b_input ? b.input("b", g.b, -1.f, 1.f) : b.scaled_weight("b", g.b, trans_b ? g.b[1] : g.b[0]);
  std::vector<Value*> inputs = {b.input("a", g.a), rhs};
  if (!g.c.empty()) inputs.push_back(b.weight("c", g.c));
  return b.op("Gemm", inputs, g.attrs, 13);
}

std::vector<KernelCase> gemm_cases() {
  const std::vector<GemmShape> shapes = {
      {"1x17x9_bias", {1, 17}, {17, 9}, {9}, {}},
      {"5x33x21_transB_bias", {5, 33}, {21, 33}, {21}, {{"transB", int_attr(1)}}},
      {"transA_alpha_beta_rowC", {12, 6}, {12, 10}, {1, 10}, {{"transA", int_attr(1)}, {"alpha", float_attr(0.5f)}, {"beta", float_attr(2.f)}}},
      {"64x128x96_bias", {64, 128}, {128, 96}, {96}, {}},
      {"3x5x4_noC", {3, 5}, {5, 4}, {}, {}},
      {"4x6x5_transB_fullC", {4, 6}, {5, 6}, {4, 5}, {{"transB", int_attr(1)}}},
      {"6x12x5_runtime_B_transA", {12, 6}, {12, 5}, {5}, {{"transA", int_attr(1)}}, true},
  };
  std::vector<KernelCase> cases;
  for (const GemmShape& g : shapes)
    cases.push_back({"Gemm_" + g.name, [g](CaseBuilder& b) { gemm(b, g); }, Accuracy::Accumulating});
  const std::vector<GemmShape> fused = {
      {"5x33x21_transB_bias", {5, 33}, {21, 33}, {21}, {{"transB", int_attr(1)}}},
      {"8x64x10_bias", {8, 64}, {64, 10}, {10}, {}},
      {"1x9x7_noC", {1, 9}, {9, 7}, {}, {}},
  };
  for (const GemmShape& g : fused)
    cases.push_back({"GemmFused_" + g.name + "_relu", [g](CaseBuilder& b) { b.op("Relu", {gemm(b, g)}, {}, 14); },
                     Accuracy::Accumulating, "kiln.cuda.GemmFused"});
  return cases;
}

std::vector<KernelCase> matmul_cases() {
  struct MatMulShape {
    std::string name;
    std::vector<int64_t> a, b;
    bool b_constant;
  };
  const std::vector<MatMulShape> shapes = {
      {"13x7_by_7x5_constB", {13, 7}, {7, 5}, true},
      {"2x5x16_by_16x12_constB", {2, 5, 16}, {16, 12}, true},
      {"3x4x9_by_3x9x6", {3, 4, 9}, {3, 9, 6}, false},
      {"1x4x8_by_3x8x5_shared_A", {1, 4, 8}, {3, 8, 5}, false},
      {"2x3x4x8_by_8x5_shared_B", {2, 3, 4, 8}, {8, 5}, false},
      {"64x96_by_96x48", {64, 96}, {96, 48}, false},
  };
  std::vector<KernelCase> cases;
  for (const MatMulShape& m : shapes)
    cases.push_back({"MatMul_" + m.name,
                     [m](CaseBuilder& b) {
                       Value* rhs = m.b_constant ? b.scaled_weight("b", m.b, m.b[m.b.size() - 2]) : b.input("b", m.b, -1.f, 1.f);
                       b.op("MatMul", {b.input("a", m.a), rhs}, {}, 13);
                     },
                     Accuracy::Accumulating});
  struct Linear {
    std::string name;
    std::vector<int64_t> a, w;
    bool bias_first, relu;
  };
  const std::vector<Linear> linears = {
      {"2x5x16_by_16x12", {2, 5, 16}, {16, 12}, false, false},
      {"6x9_by_9x4", {6, 9}, {9, 4}, false, false},
      {"1x7x33_by_33x65", {1, 7, 33}, {33, 65}, false, false},
      {"3x10x24_by_24x8_biasfirst", {3, 10, 24}, {24, 8}, true, false},
      {"4x20_by_20x31_relu", {4, 20}, {20, 31}, false, true},
  };
  for (const Linear& l : linears)
    cases.push_back({"MatMulAddFused_" + l.name,
                     [l](CaseBuilder& b) {
                       Value* y = b.op("MatMul", {b.input("a", l.a), b.scaled_weight("w", l.w, l.w[0])}, {}, 13);
                       Value* bias = b.weight("bias", {l.w[1]});
                       y = b.op("Add", l.bias_first ? std::vector<Value*>{bias, y} : std::vector<Value*>{y, bias}, {}, 14);
                       if (l.relu) b.op("Relu", {y}, {}, 14);
                     },
                     Accuracy::Accumulating, "kiln.cuda.MatMulAddFused"});
  return cases;
}

// ---- pooling ---------------------------------------------------------------------------------------------------

std::vector<KernelCase> pool_cases() {
  struct Pool {
    std::string op, name;
    std::vector<int64_t> x;
    Attrs attrs;
    int opset;
    Accuracy accuracy;
  };
  const auto k = [](int64_t h, int64_t w) { return ints_attr({h, w}); };
  const std::vector<Pool> pools = {
      {"MaxPool", "3x3_s2_p1_n1", {1, 8, 15, 15}, {{"kernel_shape", k(3, 3)}, {"strides", k(2, 2)}, {"pads", ints_attr({1, 1, 1, 1})}}, 12, Accuracy::Exact},
      {"MaxPool", "2x2_s2_n2", {2, 5, 8, 8}, {{"kernel_shape", k(2, 2)}, {"strides", k(2, 2)}}, 12, Accuracy::Exact},
      {"MaxPool", "3x3_s1_p1_n3_odd", {3, 7, 13, 11}, {{"kernel_shape", k(3, 3)}, {"pads", ints_attr({1, 1, 1, 1})}}, 12, Accuracy::Exact},
      {"MaxPool", "2x3_s1x2_n2", {2, 4, 9, 10}, {{"kernel_shape", k(2, 3)}, {"strides", k(1, 2)}}, 12, Accuracy::Exact},
      {"MaxPool", "3x3_s2_ceil_mode_n2", {2, 6, 10, 13}, {{"kernel_shape", k(3, 3)}, {"strides", k(2, 2)}, {"ceil_mode", int_attr(1)}}, 12,
       Accuracy::Exact},
      {"MaxPool", "3x3_dilation2_asym_pads_n1", {1, 5, 12, 11},
       {{"kernel_shape", k(3, 3)}, {"dilations", k(2, 2)}, {"pads", ints_attr({0, 1, 2, 1})}}, 12, Accuracy::Exact},
      {"AveragePool", "2x2_s2_n1", {1, 8, 14, 14}, {{"kernel_shape", k(2, 2)}, {"strides", k(2, 2)}}, 11, Accuracy::Accumulating},
      {"AveragePool", "3x3_p1_exclude_pad_n2_odd", {2, 6, 13, 11},
       {{"kernel_shape", k(3, 3)}, {"pads", ints_attr({1, 1, 1, 1})}, {"count_include_pad", int_attr(0)}}, 11, Accuracy::Accumulating},
      {"AveragePool", "3x3_s2_p1_include_pad_n3", {3, 5, 9, 9},
       {{"kernel_shape", k(3, 3)}, {"strides", k(2, 2)}, {"pads", ints_attr({1, 1, 1, 1})}, {"count_include_pad", int_attr(1)}}, 11,
       Accuracy::Accumulating},
      {"AveragePool", "2x2_asym_pads_ceil_mode_n2", {2, 3, 7, 9},
       {{"kernel_shape", k(2, 2)}, {"strides", k(2, 2)}, {"pads", ints_attr({1, 0, 0, 1})}, {"ceil_mode", int_attr(1)}}, 19,
       Accuracy::Accumulating},
      {"GlobalAveragePool", "1x64x7x7", {1, 64, 7, 7}, {}, 1, Accuracy::Accumulating},
      {"GlobalAveragePool", "3x13x5x9", {3, 13, 5, 9}, {}, 1, Accuracy::Accumulating},
      {"GlobalAveragePool", "2x7x1x1", {2, 7, 1, 1}, {}, 1, Accuracy::Accumulating},
      {"GlobalAveragePool", "4x512x7x7", {4, 512, 7, 7}, {}, 1, Accuracy::Accumulating},
      {"GlobalMaxPool", "1x64x7x7", {1, 64, 7, 7}, {}, 1, Accuracy::Exact},
      {"GlobalMaxPool", "3x13x5x9", {3, 13, 5, 9}, {}, 1, Accuracy::Exact},
      {"GlobalMaxPool", "2x8x11x3", {2, 8, 11, 3}, {}, 1, Accuracy::Exact},
  };
  std::vector<KernelCase> cases;
  for (const Pool& p : pools)
    cases.push_back({p.op + "_" + p.name, [p](CaseBuilder& b) { b.op(p.op, {b.input("x", p.x)}, p.attrs, p.opset); }, p.accuracy});
  return cases;
}

// ---- elementwise -----------------------------------------------------------------------------------------------

const std::vector<std::vector<int64_t>>& activation_shapes() {
  static const std::vector<std::vector<int64_t>> shapes = {{2, 3, 9, 11}, {1, 16, 7, 7}, {5, 17}, {100003}};
  return shapes;
}

std::vector<KernelCase> activation_cases() {
  struct Activation {
    std::string name, op;
    Attrs attrs;
    int opset;
    Accuracy accuracy;
  };
  const std::vector<Activation> activations = {
      {"Relu", "Relu", {}, 14, Accuracy::Exact},
      {"Sigmoid", "Sigmoid", {}, 13, Accuracy::Pointwise},
      {"Tanh", "Tanh", {}, 13, Accuracy::Pointwise},
      {"Gelu", "Gelu", {}, 20, Accuracy::Pointwise},
      {"LeakyRelu", "LeakyRelu", {{"alpha", float_attr(0.1f)}}, 16, Accuracy::Pointwise},
  };
  std::vector<KernelCase> cases;
  for (const Activation& a : activations)
    for (const std::vector<int64_t>& dims : activation_shapes())
      cases.push_back({a.name + "_" + shape_name(dims),
                       [a, dims](CaseBuilder& b) { b.op(a.op, {b.input("x", dims, -3.f, 3.f)}, a.attrs, a.opset); }, a.accuracy});
  for (const std::vector<int64_t>& dims : {std::vector<int64_t>{2, 3, 9, 11}, std::vector<int64_t>{5, 17}})
    cases.push_back({"Gelu_tanh_" + shape_name(dims),
                     [dims](CaseBuilder& b) { b.op("Gelu", {b.input("x", dims, -3.f, 3.f)}, {{"approximate", string_attr("tanh")}}, 20); }});

  // The other unary ops of the pack, each on its own domain.
  const std::vector<Activation> unary = {
      {"Exp", "Exp", {}, 13, Accuracy::Pointwise},
      {"Erf", "Erf", {}, 13, Accuracy::Pointwise},
      {"Neg", "Neg", {}, 13, Accuracy::Exact},
      {"Abs", "Abs", {}, 13, Accuracy::Exact},
      {"Softplus", "Softplus", {}, 1, Accuracy::Pointwise},
      {"HardSigmoid", "HardSigmoid", {{"alpha", float_attr(0.3f)}, {"beta", float_attr(0.4f)}}, 6, Accuracy::Pointwise},
      {"HardSwish", "HardSwish", {}, 14, Accuracy::Pointwise},
      {"Elu", "Elu", {{"alpha", float_attr(0.7f)}}, 6, Accuracy::Pointwise},
      {"Selu", "Selu", {}, 6, Accuracy::Pointwise},
  };
  const std::vector<Activation> positive = {  // inputs in [0.25, 4]
      {"Log", "Log", {}, 13, Accuracy::Pointwise},
      {"Sqrt", "Sqrt", {}, 13, Accuracy::Pointwise},
      {"Reciprocal", "Reciprocal", {}, 13, Accuracy::Pointwise},
  };
  for (const auto* ops : {&unary, &positive})
    for (const Activation& a : *ops)
      for (const std::vector<int64_t>& dims : {std::vector<int64_t>{2, 3, 9, 11}, std::vector<int64_t>{5, 17}, std::vector<int64_t>{100003}}) {
        const float lo = ops == &positive ? 0.25f : -3.f, hi = ops == &positive ? 4.f : 3.f;
        cases.push_back({a.name + "_" + shape_name(dims),
                         [a, dims, lo, hi](CaseBuilder& b) { b.op(a.op, {b.input("x", dims, lo, hi)}, a.attrs, a.opset); }, a.accuracy});
      }

  // Clip: both bounds, only the upper, only the lower, and ReLU6.
  cases.push_back({"Clip_min_max_2x3x9x11", [](CaseBuilder& b) {
                     b.op("Clip", {b.input("x", {2, 3, 9, 11}), b.scalar("lo", -0.5f), b.scalar("hi", 1.5f)}, {}, 13);
                   }, Accuracy::Exact});
  cases.push_back({"Clip_max_only_5x17", [](CaseBuilder& b) {
                     b.op("Clip", {b.input("x", {5, 17}), nullptr, b.scalar("hi", 0.25f)}, {}, 13);
                   }, Accuracy::Exact});
  cases.push_back({"Clip_min_only_1x16x7x7", [](CaseBuilder& b) {
                     b.op("Clip", {b.input("x", {1, 16, 7, 7}), b.scalar("lo", 0.f)}, {}, 13);
                   }, Accuracy::Exact});
  cases.push_back({"Clip_relu6_100003", [](CaseBuilder& b) {
                     b.op("Clip", {b.input("x", {100003}, -8.f, 8.f), b.scalar("lo", 0.f), b.scalar("hi", 6.f)}, {}, 13);
                   }, Accuracy::Exact});
  return cases;
}

// Binary ops with ONNX (numpy) broadcasting.
struct Broadcast {
  std::string name;
  std::vector<int64_t> a, b;
  bool b_constant;
};

const std::vector<Broadcast>& broadcasts() {
  static const std::vector<Broadcast> all = {
      {"same_2x3x9x11", {2, 3, 9, 11}, {2, 3, 9, 11}, false},
      {"channel_2x8x5x7_by_8x1x1_const", {2, 8, 5, 7}, {8, 1, 1}, true},
      {"lastdim_3x5x17_by_17", {3, 5, 17}, {17}, false},
      {"both_sides_4x1x6_by_1x5x1", {4, 1, 6}, {1, 5, 1}, false},
      {"scalar_7x9_by_const", {7, 9}, {}, true},
      {"left_smaller_1x9_by_6x9", {1, 9}, {6, 9}, false},
  };
  return all;
}

const Broadcast& broadcast(const std::string& name) {
  for (const Broadcast& b : broadcasts())
    if (b.name == name) return b;
  throw std::runtime_error("no broadcast " + name);
}

std::vector<KernelCase> binary_cases() {
  struct Binary {
    std::string op;
    int opset;
    std::vector<std::string> shapes;
    float b_lo, b_hi;  // the second operand's range (Div's divisor stays away from 0)
    Accuracy accuracy;
  };
  const std::string same = "same_2x3x9x11", channel = "channel_2x8x5x7_by_8x1x1_const", last = "lastdim_3x5x17_by_17",
                    both = "both_sides_4x1x6_by_1x5x1", scalar = "scalar_7x9_by_const", left = "left_smaller_1x9_by_6x9";
  const std::vector<Binary> ops = {
      {"Add", 14, {same, channel, last, both, scalar, left}, -2.f, 2.f, Accuracy::Pointwise},
      {"Sub", 14, {same, channel, both, left}, -2.f, 2.f, Accuracy::Pointwise},
      {"Mul", 14, {same, channel, last, scalar}, -2.f, 2.f, Accuracy::Pointwise},
      {"Div", 14, {same, channel, both, scalar}, 0.5f, 2.f, Accuracy::Pointwise},
      {"Max", 13, {same, last, both}, -2.f, 2.f, Accuracy::Exact},
      {"Min", 13, {same, channel, left}, -2.f, 2.f, Accuracy::Exact},
  };
  std::vector<KernelCase> cases;
  for (const Binary& op : ops)
    for (const std::string& shape : op.shapes) {
      const Broadcast& s = broadcast(shape);
      cases.push_back({op.op + "_" + s.name,
                       [op, s](CaseBuilder& b) {
                         Value* rhs = s.b_constant ? b.weight("b", s.b, op.b_lo, op.b_hi) : b.input("b", s.b, op.b_lo, op.b_hi);
                         b.op(op.op, {b.input("a", s.a), rhs}, {}, op.opset);
                       },
                       op.accuracy});
    }
  // Pow: a positive base; exponents of both signs, a constant square, a broadcast row.
  cases.push_back({"Pow_same_2x3x9x11", [](CaseBuilder& b) {
                     b.op("Pow", {b.input("a", {2, 3, 9, 11}, 0.5f, 2.f), b.input("b", {2, 3, 9, 11}, -2.f, 2.f)}, {}, 15);
                   }});
  cases.push_back({"Pow_square_7x9_by_const", [](CaseBuilder& b) {
                     b.op("Pow", {b.input("a", {7, 9}, -2.f, 2.f), b.scalar("two", 2.f)}, {}, 15);
                   }});
  cases.push_back({"Pow_lastdim_3x5x17_by_17_const", [](CaseBuilder& b) {
                     b.op("Pow", {b.input("a", {3, 5, 17}, 0.5f, 2.f), b.weight("b", {17}, -1.f, 3.f)}, {}, 15);
                   }});
  cases.push_back({"Pow_sqrt_1x16x7x7", [](CaseBuilder& b) {
                     b.op("Pow", {b.input("a", {1, 16, 7, 7}, 0.1f, 4.f), b.scalar("half", 0.5f)}, {}, 15);
                   }});
  return cases;
}

// Cast between float32, float16 and int64: fp32 runs only (under fp16 the builder retypes float values, which
// would change what a Cast means).
std::vector<KernelCase> cast_cases() {
  const auto cast = [](int64_t to) { return Attrs{{"to", int_attr(to)}}; };
  return {
      {"Cast_float32_to_float16_3x17", [cast](CaseBuilder& b) { b.op("Cast", {b.input("x", {3, 17})}, cast(KILN_DTYPE_FLOAT16), 13); },
       Accuracy::Exact, "", false},
      {"Cast_float16_to_float32_2x3x9x11",
       [cast](CaseBuilder& b) {
         b.op("Cast", {b.input_tensor("x", b.random_halves({2, 3, 9, 11}, -100.f, 100.f))}, cast(KILN_DTYPE_FLOAT32), 13);
       },
       Accuracy::Exact, "", false},
      {"Cast_float32_to_int64_5x7", [cast](CaseBuilder& b) { b.op("Cast", {b.input("x", {5, 7}, -100.f, 100.f)}, cast(KILN_DTYPE_INT64), 13); },
       Accuracy::Exact, "", false},
      {"Cast_float32_to_int32_2x3x9x11", [cast](CaseBuilder& b) { b.op("Cast", {b.input("x", {2, 3, 9, 11}, -1000.f, 1000.f)}, cast(KILN_DTYPE_INT32), 13); },
       Accuracy::Exact, "", false},
      {"Cast_float32_to_bool_5x17", [cast](CaseBuilder& b) { b.op("Cast", {b.input("x", {5, 17}, -1.f, 1.f)}, cast(KILN_DTYPE_BOOL), 13); },
       Accuracy::Exact, "", false},
      {"Cast_int64_to_float16_7x9",
       [cast](CaseBuilder& b) { b.op("Cast", {b.input_tensor("x", b.random_ints({7, 9}, -3000, 3000))}, cast(KILN_DTYPE_FLOAT16), 13); },
       Accuracy::Exact, "", false},
      {"Cast_int64_to_float32_4x9",
       [cast](CaseBuilder& b) { b.op("Cast", {b.input_tensor("x", b.random_ints({4, 9}, -1000, 1000))}, cast(KILN_DTYPE_FLOAT32), 13); },
       Accuracy::Exact, "", false},
  };
}

// ---- normalization, softmax, reductions ------------------------------------------------------------------------

std::vector<KernelCase> softmax_cases() {
  struct Softmax {
    std::string op;
    std::vector<int64_t> x;
    int64_t axis;
  };
  const std::vector<Softmax> all = {
      {"Softmax", {2, 10}, -1},       {"Softmax", {3, 5, 17}, 1},         {"Softmax", {2, 4, 7, 9}, 1},
      {"Softmax", {1, 3, 37, 129}, -1}, {"LogSoftmax", {2, 10}, -1},      {"LogSoftmax", {3, 5, 17}, 1},
      {"LogSoftmax", {1, 3, 37, 129}, -1},
  };
  std::vector<KernelCase> cases;
  for (const Softmax& s : all)
    cases.push_back({s.op + "_" + shape_name(s.x) + "_axis" + (s.axis < 0 ? "_neg" + std::to_string(-s.axis) : std::to_string(s.axis)),
                     [s](CaseBuilder& b) { b.op(s.op, {b.input("x", s.x, -4.f, 4.f)}, {{"axis", int_attr(s.axis)}}, 13); },
                     Accuracy::Accumulating});
  return cases;
}

std::vector<KernelCase> normalization_cases() {
  struct LayerNorm {
    std::string name;
    std::vector<int64_t> x;
    int64_t axis;
    bool bias;
    float epsilon;
  };
  const std::vector<LayerNorm> layer_norms = {
      {"2x5x16", {2, 5, 16}, -1, true, 1e-5f},
      {"3x7x33_eps1e-3", {3, 7, 33}, -1, true, 1e-3f},
      {"2x4x6x10_axis_neg2", {2, 4, 6, 10}, -2, true, 1e-5f},
      {"1x9x768", {1, 9, 768}, -1, true, 1e-5f},
      {"4x10_nobias", {4, 10}, -1, false, 1e-5f},
  };
  std::vector<KernelCase> cases;
  for (const LayerNorm& l : layer_norms) {
    std::string name = "LayerNormalization_" + l.name;
    for (char& ch : name) ch = ch == '-' ? '_' : ch;
    cases.push_back({name,
                     [l](CaseBuilder& b) {
                       const size_t axis = static_cast<size_t>(l.axis < 0 ? static_cast<int64_t>(l.x.size()) + l.axis : l.axis);
                       const std::vector<int64_t> normalized(l.x.begin() + static_cast<std::ptrdiff_t>(axis), l.x.end());
                       std::vector<Value*> in = {b.input("x", l.x), b.weight("scale", normalized, 0.5f, 1.5f)};
                       if (l.bias) in.push_back(b.weight("bias", normalized));
                       b.op("LayerNormalization", in, {{"axis", int_attr(l.axis)}, {"epsilon", float_attr(l.epsilon)}}, 17);
                     },
                     Accuracy::Accumulating});
  }
  for (const std::vector<int64_t>& x : {std::vector<int64_t>{1, 8, 5, 7}, std::vector<int64_t>{3, 13, 9, 11}, std::vector<int64_t>{2, 32, 14, 14}})
    cases.push_back({"BatchNormalization_" + shape_name(x), [x](CaseBuilder& b) { batch_norm(b, b.input("x", x), x[1]); }});
  return cases;
}

std::vector<KernelCase> reduce_cases() {
  struct Reduce {
    std::string op;
    std::vector<int64_t> x, axes;
    bool keepdims;
    int opset;  // ReduceMean and ReduceMax take axes as an input from 18 (an attribute before), ReduceSum from 13
  };
  const std::vector<Reduce> all = {
      {"ReduceMean", {2, 3, 9, 11}, {2, 3}, true, 18}, {"ReduceMean", {3, 17}, {1}, false, 18},
      {"ReduceMean", {2, 5, 16}, {-1}, true, 18},      {"ReduceMean", {4, 6, 5}, {0}, false, 18},
      {"ReduceMean", {2, 8, 7, 7}, {2, 3}, true, 13},  {"ReduceSum", {2, 3, 9, 11}, {1}, true, 13},
      {"ReduceSum", {3, 17}, {0, 1}, false, 13},       {"ReduceSum", {2, 5, 16}, {-1}, true, 13},
      {"ReduceSum", {4, 6, 5}, {0, 2}, true, 13},
      {"ReduceMax", {2, 3, 9, 11}, {2, 3}, true, 18},  {"ReduceMax", {3, 17}, {1}, false, 18},
      {"ReduceMax", {4, 6, 5}, {0}, true, 13},
  };
  std::vector<KernelCase> cases;
  for (const Reduce& r : all) {
    std::string axes;
    for (int64_t a : r.axes) axes += "_" + (a < 0 ? "neg" + std::to_string(-a) : std::to_string(a));
    const bool axes_input = r.op == "ReduceSum" ? r.opset >= 13 : r.opset >= 18;
    const Accuracy accuracy = r.op == "ReduceMax" ? Accuracy::Exact : Accuracy::Accumulating;
    cases.push_back({r.op + "_opset" + std::to_string(r.opset) + "_" + shape_name(r.x) + "_axes" + axes + (r.keepdims ? "_keep" : ""),
                     [r, axes_input](CaseBuilder& b) {
                       std::vector<Value*> in = {b.input("x", r.x)};
                       Attrs attrs = {{"keepdims", int_attr(r.keepdims)}};
                       if (axes_input) in.push_back(b.ints("axes", r.axes));
                       else attrs["axes"] = ints_attr(r.axes);
                       b.op(r.op, in, attrs, r.opset);
                     },
                     accuracy});
  }
  return cases;
}

// ---- data movement ---------------------------------------------------------------------------------------------

std::vector<KernelCase> concat_cases() {
  return {
      {"Concat_axis1_nchw_three_inputs", [](CaseBuilder& b) {
         b.op("Concat", {b.input("a", {2, 3, 5, 7}), b.input("b", {2, 5, 5, 7}), b.input("c", {2, 1, 5, 7})}, {{"axis", int_attr(1)}});
       }, Accuracy::Exact},
      {"Concat_axis0_1x8_3x8", [](CaseBuilder& b) {
         b.op("Concat", {b.input("a", {1, 8}), b.input("b", {3, 8})}, {{"axis", int_attr(0)}});
       }, Accuracy::Exact},
      {"Concat_axis_neg1_2x3x5_2x3x11", [](CaseBuilder& b) {
         b.op("Concat", {b.input("a", {2, 3, 5}), b.input("b", {2, 3, 11})}, {{"axis", int_attr(-1)}});
       }, Accuracy::Exact},
      {"Concat_axis2_with_constant", [](CaseBuilder& b) {
         b.op("Concat", {b.input("a", {2, 4, 3, 5}), b.weight("b", {2, 4, 6, 5})}, {{"axis", int_attr(2)}});
       }, Accuracy::Exact},
  };
}

std::vector<KernelCase> slice_cases() {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
  struct SliceCase {
    std::string name;
    std::vector<int64_t> x, starts, ends, axes, steps;  // axes/steps empty: omitted
  };
  const std::vector<SliceCase> all = {
      {"axis0_1_to_3", {4, 10, 12}, {1}, {3}, {0}, {}},
      {"steps_2_3", {4, 10, 12}, {0, 1}, {10, 12}, {1, 2}, {2, 3}},
      {"reverse_axis1", {4, 10, 12}, {-1}, {kMin}, {1}, {-1}},
      {"negative_starts_ends", {4, 10, 12}, {-5}, {-1}, {2}, {}},
      {"step_neg2_clamped", {4, 10, 12}, {100}, {-100}, {2}, {-2}},
      {"nchw_no_axes_to_max", {2, 6, 9, 11}, {0, 1, 2, 3}, {1, 6, 8, kMax}, {}, {}},
  };
  std::vector<KernelCase> cases;
  for (const SliceCase& s : all)
    cases.push_back({"Slice_" + s.name,
                     [s](CaseBuilder& b) {
                       std::vector<Value*> in = {b.input("x", s.x), b.ints("starts", s.starts), b.ints("ends", s.ends)};
                       if (!s.axes.empty() || !s.steps.empty()) in.push_back(s.axes.empty() ? nullptr : b.ints("axes", s.axes));
                       if (!s.steps.empty()) in.push_back(b.ints("steps", s.steps));
                       b.op("Slice", in, {}, 13);
                     },
                     Accuracy::Exact});
  return cases;
}

std::vector<KernelCase> shape_op_cases() {
  std::vector<KernelCase> cases;
  struct Perm {
    std::vector<int64_t> x, perm;  // perm empty: the default (reversed) order
  };
  for (const Perm& p : std::vector<Perm>{{{2, 3, 4, 5}, {0, 2, 3, 1}}, {{2, 5, 4, 3}, {0, 3, 1, 2}}, {{7, 9}, {1, 0}},
                                         {{2, 3, 5}, {}}, {{3, 5, 7, 9}, {2, 0, 3, 1}}}) {
    std::string perm;
    for (int64_t d : p.perm) perm += std::to_string(d);
    cases.push_back({"Transpose_" + shape_name(p.x) + (perm.empty() ? "_default" : "_perm" + perm),
                     [p](CaseBuilder& b) {
                       Attrs attrs;
                       if (!p.perm.empty()) attrs["perm"] = ints_attr(p.perm);
                       b.op("Transpose", {b.input("x", p.x)}, attrs);
                     },
                     Accuracy::Exact});
  }
  struct Reshape {
    std::string name;
    std::vector<int64_t> x, shape;
  };
  for (const Reshape& r : std::vector<Reshape>{{"2x3x4x5_to_2_minus1", {2, 3, 4, 5}, {2, -1}},
                                               {"6x10_to_0_5_2", {6, 10}, {0, 5, 2}},
                                               {"1x35_to_5x7", {1, 35}, {5, 7}},
                                               {"2x3x9x11_to_minus1", {2, 3, 9, 11}, {-1}}})
    cases.push_back({"Reshape_" + r.name, [r](CaseBuilder& b) { b.op("Reshape", {b.input("x", r.x), b.ints("shape", r.shape)}, {}, 14); },
                     Accuracy::Exact});
  struct Flatten {
    std::vector<int64_t> x;
    int64_t axis;
  };
  for (const Flatten& f : std::vector<Flatten>{{{2, 3, 4, 5}, 1}, {{2, 3, 4, 5}, 0}, {{3, 5, 7}, -1}, {{2, 3, 4, 5}, 3}})
    cases.push_back({"Flatten_" + shape_name(f.x) + "_axis" + (f.axis < 0 ? "_neg1" : std::to_string(f.axis)),
                     [f](CaseBuilder& b) { b.op("Flatten", {b.input("x", f.x)}, {{"axis", int_attr(f.axis)}}); }, Accuracy::Exact});
  struct Axes {
    std::string op, name;
    std::vector<int64_t> x, axes;  // axes empty: omitted
  };
  for (const Axes& a : std::vector<Axes>{{"Squeeze", "1x5x1x7_axes_0_2", {1, 5, 1, 7}, {0, 2}},
                                         {"Squeeze", "3x1x4_axis_neg2", {3, 1, 4}, {-2}},
                                         {"Squeeze", "1x9x1_all", {1, 9, 1}, {}},
                                         {"Unsqueeze", "5x7_axis0", {5, 7}, {0}},
                                         {"Unsqueeze", "3x4_axes_1_neg1", {3, 4}, {1, -1}},
                                         {"Unsqueeze", "2x3x5_axis3", {2, 3, 5}, {3}}})
    cases.push_back({a.op + "_" + a.name,
                     [a](CaseBuilder& b) {
                       std::vector<Value*> in = {b.input("x", a.x)};
                       if (!a.axes.empty()) in.push_back(b.ints("axes", a.axes));
                       b.op(a.op, in, {}, 13);
                     },
                     Accuracy::Exact});
  return cases;
}

std::vector<KernelCase> resize_cases() {
  struct ResizeCase {
    std::string name;
    std::vector<int64_t> x;
    std::vector<float> scales;  // or
    std::vector<int64_t> sizes;
    Attrs attrs;
    Accuracy accuracy;
  };
  const Attrs linear = {{"mode", string_attr("linear")}};
  Attrs align_corners = linear, asymmetric = linear, pytorch_half_pixel = linear;
  pytorch_half_pixel["coordinate_transformation_mode"] = string_attr("pytorch_half_pixel");
  align_corners["coordinate_transformation_mode"] = string_attr("align_corners");
  asymmetric["coordinate_transformation_mode"] = string_attr("asymmetric");
  const Attrs nearest_floor = {{"mode", string_attr("nearest")}, {"coordinate_transformation_mode", string_attr("asymmetric")},
                               {"nearest_mode", string_attr("floor")}};
  // Nearest cases scale by powers of two, where no source coordinate falls on a rounding tie.
  const std::vector<ResizeCase> all = {
      {"nearest_x2_1x3x8x9", {1, 3, 8, 9}, {1, 1, 2, 2}, {}, {}, Accuracy::Exact},
      {"nearest_sizes_x2_2x4x5x7", {2, 4, 5, 7}, {}, {2, 4, 10, 14}, {}, Accuracy::Exact},
      {"nearest_half_asymmetric_floor_1x2x8x10", {1, 2, 8, 10}, {1, 1, 0.5f, 0.5f}, {}, nearest_floor, Accuracy::Exact},
      {"linear_x2_half_pixel_2x4x7x5", {2, 4, 7, 5}, {1, 1, 2, 2}, {}, linear, Accuracy::Pointwise},
      {"linear_align_corners_sizes_1x3x7x9", {1, 3, 7, 9}, {}, {1, 3, 12, 5}, align_corners, Accuracy::Pointwise},
      {"linear_x1_5_asymmetric_1x2x6x6", {1, 2, 6, 6}, {1, 1, 1.5f, 1.5f}, {}, asymmetric, Accuracy::Pointwise},
      {"linear_pytorch_half_pixel_sizes_3x2x5x8", {3, 2, 5, 8}, {}, {3, 2, 9, 1}, pytorch_half_pixel, Accuracy::Pointwise},
  };
  std::vector<KernelCase> cases;
  for (const ResizeCase& r : all)
    cases.push_back({"Resize_" + r.name,
                     [r](CaseBuilder& b) {
                       std::vector<Value*> in = {b.input("x", r.x), nullptr};
                       if (r.sizes.empty()) in.push_back(b.floats("scales", r.scales));
                       else in.insert(in.end(), {nullptr, b.ints("sizes", r.sizes)});
                       b.op("Resize", in, r.attrs, 13);
                     },
                     r.accuracy});
  // Upsample (opsets 7-9): asymmetric coordinates, scales an attribute (7) or a constant input (9).
  cases.push_back({"Upsample_opset9_nearest_x2_2x3x5x7", [](CaseBuilder& b) {
                     b.op("Upsample", {b.input("x", {2, 3, 5, 7}), b.floats("scales", {1, 1, 2, 2})}, {{"mode", string_attr("nearest")}}, 9);
                   }, Accuracy::Exact});
  cases.push_back({"Upsample_opset9_linear_x2_1x4x6x5", [](CaseBuilder& b) {
                     b.op("Upsample", {b.input("x", {1, 4, 6, 5}), b.floats("scales", {1, 1, 2, 2})}, {{"mode", string_attr("linear")}}, 9);
                   }});
  cases.push_back({"Upsample_opset7_nearest_x2x4_1x2x3x4", [](CaseBuilder& b) {
                     b.op("Upsample", {b.input("x", {1, 2, 3, 4})}, {{"mode", string_attr("nearest")}, {"scales", floats_attr({1, 1, 2, 4})}}, 7);
                   }, Accuracy::Exact});
  return cases;
}

std::vector<KernelCase> indexing_cases() {
  std::vector<KernelCase> cases = {
      {"Gather_axis0_const_indices_10x7", [](CaseBuilder& b) {
         b.op("Gather", {b.input("x", {10, 7}), b.ints("indices", {3, 0, 9, 3})}, {{"axis", int_attr(0)}});
       }, Accuracy::Exact},
      {"Gather_axis1_negative_indices_3x9x5", [](CaseBuilder& b) {
         Tensor indices(KILN_DTYPE_INT64, {2, 3});
         const int64_t values[] = {0, -1, 4, -9, 8, 2};
         for (int i = 0; i < 6; ++i) indices.as<int64_t>()[i] = values[i];
         b.op("Gather", {b.input("x", {3, 9, 5}), b.constant("indices", indices)}, {{"axis", int_attr(1)}});
       }, Accuracy::Exact},
      {"Gather_scalar_index_axis1_4x6", [](CaseBuilder& b) {
         b.op("Gather", {b.input("x", {4, 6}), b.ints("index", {5}, true)}, {{"axis", int_attr(1)}});
       }, Accuracy::Exact},
      {"Gather_embedding_runtime_indices_50x16", [](CaseBuilder& b) {
         b.op("Gather", {b.weight("table", {50, 16}), b.input_tensor("ids", b.random_ints({3, 5}, -50, 49))}, {{"axis", int_attr(0)}});
       }, Accuracy::Exact},
      {"Gather_int32_indices_axis1_2x11x3", [](CaseBuilder& b) {
         Tensor ids(KILN_DTYPE_INT32, {2, 4});
         const int32_t values[] = {10, 0, -11, 5, 3, -1, 7, 7};
         for (int i = 0; i < 8; ++i) ids.as<int32_t>()[i] = values[i];
         b.op("Gather", {b.input("x", {2, 11, 3}), b.input_tensor("ids", ids)}, {{"axis", int_attr(1)}});
       }, Accuracy::Exact},
      {"Gather_both_runtime_10x7", [](CaseBuilder& b) {
         b.op("Gather", {b.input("x", {10, 7}), b.input_tensor("ids", b.random_ints({4}, 0, 9))}, {{"axis", int_attr(0)}});
       }, Accuracy::Exact},
  };
  struct ExpandCase {
    std::vector<int64_t> x, shape;
  };
  for (const ExpandCase& e : std::vector<ExpandCase>{{{3, 1}, {3, 4}}, {{1, 5, 1}, {2, 5, 6}}, {{7}, {2, 3, 7}}, {{2, 1, 1, 4}, {1, 3, 5, 1}}})
    cases.push_back({"Expand_" + shape_name(e.x) + "_to_" + shape_name(e.shape),
                     [e](CaseBuilder& b) { b.op("Expand", {b.input("x", e.x), b.ints("shape", e.shape)}); }, Accuracy::Exact});
  struct PadCase {
    std::string name;
    std::vector<int64_t> x, pads;
    std::string mode;
    bool value;  // a constant_value input (0.5)
    int opset = 13;
  };
  for (const PadCase& p : std::vector<PadCase>{{"constant_value_1x3x5x7", {1, 3, 5, 7}, {0, 0, 1, 2, 0, 0, 2, 1}, "constant", true},
                                               {"constant_zero_2x4x3x3", {2, 4, 3, 3}, {0, 0, 1, 1, 0, 0, 1, 1}, "constant", false},
                                               {"reflect_2x3x6x7", {2, 3, 6, 7}, {0, 0, 2, 2, 0, 0, 2, 2}, "reflect", false},
                                               {"edge_2x5x4", {2, 5, 4}, {0, 1, 0, 0, 2, 3}, "edge", false},
                                               {"wrap_opset19_1x2x5x6", {1, 2, 5, 6}, {0, 0, 2, 3, 0, 0, 1, 2}, "wrap", false, 19}})
    cases.push_back({"Pad_" + p.name,
                     [p](CaseBuilder& b) {
                       std::vector<Value*> in = {b.input("x", p.x), b.ints("pads", p.pads)};
                       if (p.value) in.push_back(b.scalar("value", 0.5f));
                       b.op("Pad", in, {{"mode", string_attr(p.mode)}}, p.opset);
                     },
                     Accuracy::Exact});
  return cases;
}

// ---- the table -------------------------------------------------------------------------------------------------

const std::vector<KernelCase>& all_cases() {
  static const std::vector<KernelCase> cases = [] {
    std::vector<KernelCase> all;
    for (auto family : {conv_cases, fused_conv_cases, gemm_cases, matmul_cases, pool_cases, activation_cases, binary_cases,
                        cast_cases, softmax_cases, normalization_cases, reduce_cases, concat_cases, slice_cases,
                        shape_op_cases, resize_cases, indexing_cases, int8::all_cases}) {
      std::vector<KernelCase> some = family();
      all.insert(all.end(), some.begin(), some.end());
    }
    return all;
  }();
  return cases;
}

struct KernelParam {
  const KernelCase* kase;
  std::string precision;  // "fp32" or "fp16"
};

std::vector<KernelParam> kernel_params() {
  std::vector<KernelParam> params;
  for (const KernelCase& c : all_cases()) {
    params.push_back({&c, "fp32"});
    if (c.fp16) params.push_back({&c, "fp16"});
  }
  return params;
}

void PrintTo(const KernelParam& p, std::ostream* os) { *os << p.kase->name << " (" << p.precision << ")"; }

// The op types of a hand-built graph: the layers that must run on CUDA kernels.
std::set<std::string> op_types(const Graph& graph) {
  std::set<std::string> ops;
  for (const auto& n : graph.nodes()) ops.insert(n->op_type);
  return ops;
}

// Calls `f`; returns "" or the message of what it threw.
template <class F>
std::string error_of(F f) {
  try {
    f();
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

// One case, or the small CNN, set up on both sides: the oracle and the GPU engine built from one seed, and
// `variants` sets of feeds (the same constants, other inputs) with the oracle's outputs for each.
class TwoEngines {
 public:
  // `oracle_build`: the oracle's own graph, when it differs (empty: `build`); `fused_oracle`: the oracle fuses
  // chains too (KernelCase says why).
  TwoEngines(const std::function<void(CaseBuilder&)>& build, const std::string& name, const std::string& precision,
             int variants, const std::function<void(CaseBuilder&)>& oracle_build = nullptr, bool fused_oracle = false)
      : fp16_(precision == "fp16"), seed_(seed_of(name)), oracle_config_(oracle_config()), gpu_config_(gpu_config(precision)) {
    oracle_config_.optimize.fusion = fused_oracle;
    CaseBuilder gpu_side(seed_, fp16_), oracle_side(seed_, fp16_);
    build(gpu_side);
    (oracle_build ? oracle_build : build)(oracle_side);
    ops_ = op_types(gpu_side.graph());
    chain_length_ = gpu_side.graph().nodes().size();
    for (int v = 0; v < variants; ++v) {
      CaseBuilder inputs(seed_, fp16_, static_cast<uint64_t>(v));
      build(inputs);
      feeds_.push_back(inputs.feeds());
      data_.push_back(name + " (" + precision + "), input variant " + std::to_string(v) + ", " +
                      describe_case_data(seed_, inputs.graph(), inputs.feeds()));
    }
    graphs_[0] = oracle_side.finish();
    graphs_[1] = gpu_side.finish();
  }

  // Builds the oracle and runs it on every variant; then builds the GPU engine. Empty, or what went wrong.
  std::string prepare() {
    std::string error = error_of([&] { oracle_ = std::make_unique<Engine>(std::move(graphs_[0]), setup().reference, oracle_config_); });
    if (!error.empty()) return "the oracle cannot build the case: " + error + "\n" + data_[0];
    for (size_t v = 0; v < feeds_.size(); ++v) {
      error = error_of([&] { expected_.push_back(oracle_->run(feeds_[v])); });
      if (!error.empty()) return "the oracle failed: " + error + "\n" + data_[v];
    }
    // Outputs poisoned with NaN bytes before each kernel runs: a kernel that leaves part of one unwritten fails.
    error = error_of([&] { engine_ = std::make_unique<Engine>(std::move(graphs_[1]), setup().gpu, gpu_config_, EngineOptions{true}); });
    if (!error.empty()) return "the GPU engine cannot build the case: " + error + "\n" + data_[0];
    return "";
  }

  // Runs the GPU engine on variant `v` and compares with the oracle. Safe from several threads at once.
  void run_and_compare(size_t v, const Tolerance& tol, const std::string& what) const {
    std::map<std::string, Tensor> actual;
    const std::string error = error_of([&] { actual = engine_->run(feeds_[v]); });
    ASSERT_TRUE(error.empty()) << what << ": the GPU engine failed: " << error << "\n" << data_[v] << "layers:\n" << describe_selection(*engine_);
    expect_outputs_close(actual, expected_[v], tol, what + ": " + data_[v] + "layers:\n" + describe_selection(*engine_));
  }

  const Engine& engine() const { return *engine_; }
  const std::set<std::string>& ops() const { return ops_; }
  size_t chain_length() const { return chain_length_; }
  bool fp16() const { return fp16_; }

 private:
  bool fp16_;
  uint64_t seed_;
  BuildConfig oracle_config_, gpu_config_;  // the engines refer to them
  std::set<std::string> ops_;
  size_t chain_length_ = 0;
  std::vector<std::map<std::string, Tensor>> feeds_, expected_;
  std::vector<std::string> data_;
  std::unique_ptr<Graph> graphs_[2];
  std::unique_ptr<Engine> oracle_, engine_;
};

class CudaKernel : public ::testing::TestWithParam<KernelParam> {};

// The first run is eager; the second is captured into a CUDA graph, the third replays it. Each run gets other
// inputs than the one before, so a replay that computes nothing cannot pass on the previous run's results.
TEST_P(CudaKernel, MatchesTheReferencePack) {
  KILN_REQUIRE_GPU();
  const KernelCase& c = *GetParam().kase;
  TwoEngines engines(c.build, c.name, GetParam().precision, 2, c.oracle_build, c.fused_oracle);
  const std::string problem = engines.prepare();
  ASSERT_TRUE(problem.empty()) << problem;
  expect_cuda_kernels(engines.engine(), engines.ops(), c.fused_kernel, c.fused_steps ? c.fused_steps : engines.chain_length());
  Tolerance tol = tolerance(c.accuracy, engines.fp16());
  // One step of the output grid, plus float32 rounding of the dequantized reals (0.0100001 for a step of 0.01).
  tol.absolute = c.step * (1 + 1e-5);
  engines.run_and_compare(0, tol, "run 1 (eager)");
  engines.run_and_compare(1, tol, "run 2 (captured)");
  engines.run_and_compare(0, tol, "run 3 (replayed)");
}

std::string param_name(const ::testing::TestParamInfo<KernelParam>& info) {
  std::string name = info.param.kase->name + "_" + info.param.precision;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Kernels, CudaKernel, ::testing::ValuesIn(kernel_params()), param_name);

// The INT8 convolution cases again, with only kiln's own kernel as a candidate where it runs the layer
// (KILN_CUDA_CONV_INT8=kiln; the timing may pick cuDNN otherwise): through the engine, the CUDA graph capture and
// the replay, against the reference pack. The kernel itself is tested over tile shapes in
// cuda_conv_int8_imma_test.cpp.
TEST(CudaInt8OwnKernel, RunsTheConvolutionCasesItTakesAgainstTheReferencePack) {
  KILN_REQUIRE_GPU();
  struct Env {
    Env() { setenv("KILN_CUDA_CONV_INT8", "kiln", 1); }
    ~Env() { unsetenv("KILN_CUDA_CONV_INT8"); }
  } env;
  std::vector<std::string> ran;
  for (const KernelCase& c : int8::conv_cases()) {
    SCOPED_TRACE(c.name);
    TwoEngines engines(c.build, c.name, "fp32", 2, c.oracle_build, c.fused_oracle);
    const std::string problem = engines.prepare();
    ASSERT_TRUE(problem.empty()) << problem;
    for (const Layer& layer : engines.engine().layers())
      for (const std::string& note : layer.notes)
        if (note.find("kiln int8 implicit GEMM") != std::string::npos) ran.push_back(c.name);
    Tolerance tol = tolerance(c.accuracy, false);
    tol.absolute = c.step * (1 + 1e-5);
    engines.run_and_compare(0, tol, "run 1 (eager)");
    engines.run_and_compare(1, tol, "run 2 (captured)");
    engines.run_and_compare(0, tol, "run 3 (replayed)");
  }
  // NHWC int8 X with channels in 16s, int8 Y and residual: the 1x1, 3x3, strided and residual chains.
  std::string names;
  for (const std::string& n : ran) names += " " + n;
  EXPECT_GE(ran.size(), 6u) << "kiln's kernel ran only:" << names;
}

// ---- a whole model, and concurrent runs ------------------------------------------------------------------------

// The small CNN's tolerance: fp16 rounds every intermediate activation, so errors compound over its layers.
Tolerance model_tolerance(bool fp16) { return fp16 ? Tolerance{5e-2, 1e-2} : Tolerance{1e-4, 0}; }

void build_small_cnn(CaseBuilder& b) { small_cnn(b); }

class CudaModel : public ::testing::TestWithParam<std::string> {};

TEST_P(CudaModel, SmallCnnMatchesTheReferencePack) {
  KILN_REQUIRE_GPU();
  TwoEngines engines(build_small_cnn, "SmallCnn", GetParam(), 1);
  const std::string problem = engines.prepare();
  ASSERT_TRUE(problem.empty()) << problem;
  expect_cuda_kernels(engines.engine(), engines.ops(), "", 0);
  engines.run_and_compare(0, model_tolerance(engines.fp16()), "small CNN");
}

// One engine, many runs: the first eager, later ones replaying a captured CUDA graph; two threads at once take
// two run contexts. Every result must match the oracle for its own inputs (three sets: A, B, C).
TEST_P(CudaModel, ConcurrentAndRepeatedRunsMatch) {
  KILN_REQUIRE_GPU();
  TwoEngines engines(build_small_cnn, "SmallCnnRuns", GetParam(), 3);
  const std::string problem = engines.prepare();
  ASSERT_TRUE(problem.empty()) << problem;
  const Tolerance tol = model_tolerance(engines.fp16());
  const auto label = [](const std::string& who, size_t run, size_t v) {
    return who + " run " + std::to_string(run) + " on inputs " + std::string(1, static_cast<char>('A' + v));
  };

  engines.run_and_compare(0, tol, label("main thread", 1, 0));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      for (size_t run = 1; run <= 3; ++run) engines.run_and_compare(1 + t, tol, label("thread " + std::to_string(t), run, 1 + t));
    });
  for (std::thread& t : threads) t.join();
  for (size_t run = 2; run <= 5; ++run) engines.run_and_compare(run % 3, tol, label("main thread", run, run % 3));
}

INSTANTIATE_TEST_SUITE_P(Precisions, CudaModel, ::testing::Values("fp32", "fp16"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace kiln::cuda_test
