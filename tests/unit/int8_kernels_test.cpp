// The reference pack's INT8 kernels (ConvFusedInt8, ConvInt8, GemmInt8, GemmFusedInt8, MatMulInt8,
// MatMulAddFusedInt8) against an independent model of docs/quantization.md written here in double: dequantize
// the activations, take the weights' integers as the doc says (their own grid, or quantized per output channel,
// symmetric, after any BatchNormalization is folded in), compute the layer directly (a plain loop convolution,
// no im2col) on the reals, add bias and residual, apply the activation and requantize.
//
// Each case builds the chain of original nodes, computes the expected reals, picks Y's scale from them, builds
// the fused node as the core's fusion pass does (kiln/plugin.h's input convention) and calls the kernel through
// its descriptor: check, infer, create, execute on a poisoned output (NaN bytes for float32, 0x5A for integers).
// An int8/uint8 output must equal the model's exactly, except within one step where real / scale lies within
// 1e-9 of a rounding tie (the order of the double sums differs); a float32 output within 1e-5, relatively.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "config/build_config.hpp"
#include "ir/graph.hpp"
#include "ir/quantization.hpp"
#include "kernel_call_testing.hpp"
#include "plugin/host_api.hpp"
#include "plugin/plugin_registry.hpp"
#include "select/kernel_selector.hpp"

namespace kiln {
namespace {

using testing::check_kernel;
using testing::run_kernel;

const PluginRegistry& registry() {
  static PluginRegistry* r = [] {
    auto* loaded = new PluginRegistry;
    loaded->load(std::string(KILN_PLUGIN_DIR) + "/libkiln_cpu_reference.so");
    return loaded;
  }();
  return *r;
}

const kiln_kernel_desc& kernel(const std::string& name) {
  const KernelEntry* entry = registry().find(name);
  if (!entry) throw std::runtime_error("the reference pack has no kernel " + name);
  return *entry->desc;
}

// ------------------------------------------------------------------------------------------------------------
// Integers and their reals.

// An activation's parameters: the integers' dtype, its scale and zero point.
struct ActQuant {
  DataType dtype = KILN_DTYPE_INT8;
  float scale = 0.05f;
  int32_t zero = 0;
};

int64_t lowest(DataType dtype) { return dtype == KILN_DTYPE_UINT8 ? 0 : -128; }
int64_t highest(DataType dtype) { return dtype == KILN_DTYPE_UINT8 ? 255 : 127; }

int64_t integer_at(const Tensor& t, int64_t i) {
  return t.dtype() == KILN_DTYPE_UINT8 ? int64_t{t.as<uint8_t>()[i]} : int64_t{t.as<int8_t>()[i]};
}
void set_integer(Tensor& t, int64_t i, int64_t v) {
  if (t.dtype() == KILN_DTYPE_UINT8) t.as<uint8_t>()[i] = static_cast<uint8_t>(v);
  else t.as<int8_t>()[i] = static_cast<int8_t>(v);
}

// Element i of a tensor of dims `out` read from `v` (dims `in`) by numpy broadcasting.
double broadcast_at(const std::vector<double>& v, const std::vector<int64_t>& in, const std::vector<int64_t>& out, int64_t i) {
  int64_t offset = 0, stride = 1;
  for (size_t k = 0; k < out.size(); ++k) {
    const size_t o = out.size() - 1 - k;
    const int64_t coord = i % out[o];
    i /= out[o];
    if (k < in.size()) {
      const int64_t d = in[in.size() - 1 - k];
      offset += (d == 1 ? 0 : coord) * stride;
      stride *= d;
    }
  }
  return v[static_cast<size_t>(offset)];
}

// The reals of weights quantized per output channel, symmetric, the doc's rule for weights without parameters
// (or with a BatchNormalization folded in): scale = max|w| / 127 (1 for a channel of zeros),
// q = clamp(round_half_even(w / scale), -127, 127), real = q * scale.
std::vector<double> symmetric_weight_reals(const std::vector<double>& w, int64_t channels,
                                           const std::function<int64_t(int64_t)>& channel_of) {
  std::vector<double> top(static_cast<size_t>(channels), 0.0);
  for (size_t i = 0; i < w.size(); ++i) top[channel_of(i)] = std::max(top[channel_of(i)], std::fabs(w[i]));
  std::vector<double> out(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    const double scale = top[channel_of(i)] > 0 ? top[channel_of(i)] / 127.0 : 1.0;
    out[i] = std::clamp(std::nearbyint(w[i] / scale), -127.0, 127.0) * scale;
  }
  return out;
}

// Weights as a folded DequantizeLinear leaves them: random integers q with one scale and zero point per channel
// along `axis` (or one for all), stored as the floats (q - zero) * scale computed in float, as DequantizeLinear
// does. `reals` are what the kernel must recover: (q - zero) * scale, exactly.
struct GridWeights {
  Tensor values;
  Quantization quant;
  std::vector<double> reals;
};

// kind 1: per tensor, int8 symmetric; 2: per channel, int8 symmetric; 3: per channel, uint8 with zero points.
GridWeights grid_weights(std::mt19937_64& rng, const std::vector<int64_t>& dims, int axis, int kind) {
  GridWeights g;
  g.quant.dtype = kind == 3 ? KILN_DTYPE_UINT8 : KILN_DTYPE_INT8;
  g.quant.axis = kind == 1 ? -1 : axis;
  const int64_t channels = kind == 1 ? 1 : dims[static_cast<size_t>(axis)];
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < dims.size(); ++d) inner *= dims[d];
  std::uniform_real_distribution<float> scale(0.002f, 0.02f);
  std::uniform_int_distribution<int> zero(96, 160);
  for (int64_t c = 0; c < channels; ++c) {
    g.quant.scales.push_back(scale(rng));
    g.quant.zero_points.push_back(kind == 3 ? zero(rng) : 0);
  }
  g.values = Tensor(KILN_DTYPE_FLOAT32, dims);
  std::uniform_int_distribution<int> integer(kind == 3 ? 0 : -127, kind == 3 ? 255 : 127);
  for (int64_t i = 0; i < g.values.numel(); ++i) {
    const size_t c = kind == 1 ? 0 : static_cast<size_t>((i / inner) % dims[static_cast<size_t>(axis)]);
    const int centered = integer(rng) - g.quant.zero_points[c];
    g.values.as<float>()[i] = static_cast<float>(centered) * g.quant.scales[c];
    g.reals.push_back(static_cast<double>(centered) * static_cast<double>(g.quant.scales[c]));
  }
  return g;
}

// ------------------------------------------------------------------------------------------------------------
// A chain of nodes, the values they read, and the reals those stand for.

class Chain {
 public:
  explicit Chain(uint64_t seed) : rng_(seed) { graph_.opsets[""] = 17; }

  // A run-time int8/uint8 input of random integers, not all at the zero point.
  Value* quantized_input(const std::string& name, const std::vector<int64_t>& dims, const ActQuant& q) {
    Value* v = value(name, dims, q.dtype);
    v->quant = Quantization::per_tensor(q.scale, q.zero, q.dtype);
    Tensor t(q.dtype, dims);
    std::uniform_int_distribution<int> dist(static_cast<int>(lowest(q.dtype)), static_cast<int>(highest(q.dtype)));
    for (int64_t i = 0; i < t.numel(); ++i) set_integer(t, i, dist(rng_));
    set_integer(t, 0, q.zero == highest(q.dtype) ? q.zero - 1 : q.zero + 1);  // never all zeros
    feeds_[name] = t;
    return v;
  }
  Value* float_input(const std::string& name, const std::vector<int64_t>& dims, float lo = -2.f, float hi = 2.f) {
    Value* v = value(name, dims, KILN_DTYPE_FLOAT32);
    feeds_[name] = random_floats(dims, lo, hi);
    return v;
  }
  Value* constant(const std::string& name, const std::vector<int64_t>& dims, float lo = -1.f, float hi = 1.f) {
    return constant(name, random_floats(dims, lo, hi));
  }
  Value* constant(const std::string& name, const Tensor& t) {
    Value* v = value(name, t.dims(), t.dtype());
    v->constant = t;
    return v;
  }
  Value* scalar(const std::string& name, float x) {
    Tensor t(KILN_DTYPE_FLOAT32, {});
    t.as<float>()[0] = x;
    return constant(name, t);
  }

  // Appends op(inputs); the first nullptr among `inputs` stands for the chain's end, any later one for an
  // omitted optional input.
  Node* node(const std::string& op, std::vector<Value*> inputs, std::map<std::string, Attribute> attrs = {}, int opset = 17) {
    auto n = std::make_unique<Node>();
    n->name = op + "_" + std::to_string(graph_.nodes().size());
    n->op_type = op;
    n->opset = opset;
    const auto chained = std::find(inputs.begin(), inputs.end(), nullptr);
    if (end_ && chained != inputs.end()) *chained = end_;
    n->inputs = std::move(inputs);
    end_ = graph_.add_value(n->name + "_out");
    end_->dtype = KILN_DTYPE_FLOAT32;
    n->outputs = {end_};
    n->attributes = std::move(attrs);
    return graph_.add_node(std::move(n));
  }

  // The reals `v` stands for: (q - zero) * scale for an int8/uint8 value, else its float values.
  std::vector<double> reals(const Value* v) const {
    const Tensor& t = v->constant ? *v->constant : feeds_.at(v->name);
    std::vector<double> out(static_cast<size_t>(t.numel()));
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (t.dtype() == KILN_DTYPE_FLOAT32) out[i] = t.as<float>()[i];
      else out[i] = static_cast<double>(integer_at(t, i) - v->quant->zero_points[0]) * v->quant->scales[0];
    }
    return out;
  }

  // Makes the chain's end Y of `dtype`; an integer Y gets a scale and zero point fitted to `reals` (the
  // largest out of range when `saturate`).
  void set_output(DataType dtype, const std::vector<double>& reals, bool saturate) {
    end_->dtype = dtype;
    if (dtype == KILN_DTYPE_FLOAT32) return;
    const auto [lo, hi] = std::minmax_element(reals.begin(), reals.end());
    const double top = std::max({std::fabs(*lo), std::fabs(*hi), 1e-3});
    const double headroom = saturate ? 0.6 : 1.1;
    if (dtype == KILN_DTYPE_INT8) {
      end_->quant = Quantization::per_tensor(static_cast<float>(top * headroom / 127), 0, dtype);
    } else {  // uint8: [lo, hi] over [0, 255] with a zero point
      const double scale = std::max(*hi - std::min(*lo, 0.0), 1e-3) * headroom / 255;
      const int32_t zero = static_cast<int32_t>(std::clamp(std::nearbyint(-std::min(*lo, 0.0) / scale), 0.0, 255.0));
      end_->quant = Quantization::per_tensor(static_cast<float>(scale), zero, dtype);
    }
  }

  Value* end() const { return end_; }
  Graph& graph() { return graph_; }
  const std::map<std::string, Tensor>& feeds() const { return feeds_; }
  std::mt19937_64& rng() { return rng_; }

 private:
  Value* value(const std::string& name, const std::vector<int64_t>& dims, DataType dtype) {
    Value* v = graph_.add_value(name);
    v->dtype = dtype;
    v->has_shape = true;
    v->dims = dims;
    v->symbols.assign(dims.size(), "");
    return v;
  }
  Tensor random_floats(const std::vector<int64_t>& dims, float lo, float hi) {
    Tensor t(KILN_DTYPE_FLOAT32, dims);
    std::uniform_real_distribution<float> dist(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = dist(rng_);
    return t;
  }

  Graph graph_;
  std::mt19937_64 rng_;
  std::map<std::string, Tensor> feeds_;
  Value* end_ = nullptr;
};

// y against the model's reals, given Y's value (dtype and parameters) and dims.
void expect_output(const Tensor& y, const std::vector<double>& real, const Value& out, const std::vector<int64_t>& dims) {
  ASSERT_EQ(y.dims(), dims);
  ASSERT_EQ(y.dtype(), out.dtype);
  ASSERT_EQ(static_cast<size_t>(y.numel()), real.size());
  std::set<int64_t> distinct;
  int ties = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    if (out.dtype == KILN_DTYPE_FLOAT32) {
      const double actual = y.as<float>()[i];
      ASSERT_NEAR(actual, real[i], 1e-5 * std::max(std::fabs(real[i]), 1e-6)) << "at " << i;
      distinct.insert(static_cast<int64_t>(std::nearbyint(real[i] * 1e3)));
      continue;
    }
    const double ratio = real[i] / static_cast<double>(out.quant->scales[0]);
    const int64_t expected = std::clamp(static_cast<int64_t>(std::nearbyint(ratio)) + out.quant->zero_points[0],
                                        lowest(out.dtype), highest(out.dtype));
    const int64_t actual = integer_at(y, i);
    distinct.insert(expected);
    if (std::fabs(std::fabs(ratio - std::floor(ratio)) - 0.5) < 1e-9) {
      ++ties;
      ASSERT_LE(std::abs(actual - expected), 1) << "at " << i << " (a tie: " << ratio << ")";
    } else {
      ASSERT_EQ(actual, expected) << "at " << i << " (real " << real[i] << ", real / scale " << ratio << ")";
    }
  }
  EXPECT_GE(distinct.size(), 3u) << "the case computes (almost) one value only";
  EXPECT_LE(ties, y.numel() / 4) << "too many ties to be a meaningful comparison";
}

// Runs the chain's node (fused as `op_type`, or its one node when op_type is "") through kernel `name` and
// compares it with `real`.
void expect_kernel_matches(Chain& chain, const std::string& name, const std::string& op_type,
                           const std::vector<double>& real, const std::vector<int64_t>& dims) {
  std::unique_ptr<Node> fused = op_type.empty() ? nullptr : testing::fused_node(chain.graph(), op_type);
  const Node& node = fused ? *fused : *chain.graph().nodes().front();
  const kiln_kernel_desc& k = kernel(name);
  ASSERT_EQ(check_kernel(k, node), "");
  expect_output(run_kernel(k, node, chain.feeds()), real, *chain.end(), dims);
}

// ------------------------------------------------------------------------------------------------------------
// Steps shared by the cases: BatchNormalization and activations, with their functions in double.

constexpr float kBnEpsilon = 1e-3f;

// BatchNormalization over `channels` on the chain; returns its scale and shift per channel in double.
std::pair<std::vector<double>, std::vector<double>> batch_norm(Chain& c, int64_t channels) {
  Value* gamma = c.constant("bn_scale", {channels}, 0.5f, 1.5f);
  Value* beta = c.constant("bn_bias", {channels});
  Value* mean = c.constant("bn_mean", {channels});
  Value* var = c.constant("bn_var", {channels}, 0.1f, 2.f);
  c.node("BatchNormalization", {nullptr, gamma, beta, mean, var}, {{"epsilon", float_attr(kBnEpsilon)}}, 15);
  const std::vector<double> g = c.reals(gamma), b = c.reals(beta), m = c.reals(mean), v = c.reals(var);
  std::vector<double> scale, shift;
  for (size_t i = 0; i < g.size(); ++i) {
    scale.push_back(g[i] / std::sqrt(v[i] + static_cast<double>(kBnEpsilon)));
    shift.push_back(b[i] - m[i] * scale.back());
  }
  return {scale, shift};
}

// The activations tested: exact binary fractions as parameters, so the model's doubles are the kernel's.
void activation_step(Chain& c, const std::string& name) {
  if (name == "Relu") c.node("Relu", {nullptr}, {}, 14);
  if (name == "Clip") c.node("Clip", {nullptr, c.scalar("lo", -1.5f), c.scalar("hi", 2.25f)}, {}, 13);
  if (name == "Clip6") c.node("Clip", {nullptr}, {{"min", float_attr(0.f)}, {"max", float_attr(6.f)}}, 6);
  if (name == "LeakyRelu") c.node("LeakyRelu", {nullptr}, {{"alpha", float_attr(0.125f)}}, 16);
}
double activate(const std::string& name, double v) {
  if (name == "Relu") return std::max(v, 0.0);
  if (name == "Clip") return std::min(std::max(v, -1.5), 2.25);
  if (name == "Clip6") return std::min(std::max(v, 0.0), 6.0);
  if (name == "LeakyRelu") return v < 0 ? 0.125 * v : v;
  return v;
}

// ------------------------------------------------------------------------------------------------------------
// Convolutions.

struct ConvGeometry {
  std::vector<int64_t> x, w;  // [N, C, H, W], [M, C / group, kH, kW]
  int64_t group = 1;
  std::vector<int64_t> strides = {1, 1}, pads = {0, 0, 0, 0}, dilations = {1, 1};
};

std::vector<ConvGeometry> geometries() {
  return {
      {{2, 3, 7, 6}, {4, 3, 3, 3}},                                    // batch 2, 3x3, unpadded
      {{1, 4, 9, 8}, {6, 2, 3, 2}, 2, {2, 1}, {1, 0, 1, 1}},           // 2 groups, stride, asymmetric pads
      {{1, 6, 8, 8}, {6, 1, 3, 3}, 6, {1, 1}, {2, 2, 2, 2}, {2, 2}},   // depthwise, dilated
      {{3, 5, 4, 4}, {3, 5, 1, 1}},                                    // 1x1 (no im2col), batch 3
      {{2, 4, 10, 9}, {8, 4, 3, 3}, 1, {2, 2}, {1, 1, 1, 1}},          // stride 2, padded
      {{1, 8, 5, 5}, {8, 1, 5, 5}, 8, {1, 1}, {2, 2, 2, 2}},           // depthwise 5x5, 'same'
  };
}

std::map<std::string, Attribute> conv_attrs(const ConvGeometry& g) {
  return {{"group", int_attr(g.group)}, {"strides", ints_attr(g.strides)}, {"pads", ints_attr(g.pads)},
          {"dilations", ints_attr(g.dilations)}, {"kernel_shape", ints_attr({g.w[2], g.w[3]})}};
}

std::vector<int64_t> conv_output_dims(const ConvGeometry& g) {
  std::vector<int64_t> out = {g.x[0], g.w[0]};
  for (size_t d = 0; d < 2; ++d) {
    const int64_t extent = (g.w[2 + d] - 1) * g.dilations[d] + 1;
    out.push_back((g.x[2 + d] + g.pads[d] + g.pads[2 + d] - extent) / g.strides[d] + 1);
  }
  return out;
}

// The convolution in double, as the definition reads: each output sums its group's input channels over the
// kernel window, positions in the padding reading 0.
std::vector<double> direct_conv(const ConvGeometry& g, const std::vector<double>& x, const std::vector<double>& w) {
  const std::vector<int64_t> out = conv_output_dims(g);
  const int64_t C = g.x[1], H = g.x[2], W = g.x[3], M = g.w[0], CG = g.w[1], KH = g.w[2], KW = g.w[3];
  const int64_t OH = out[2], OW = out[3], MG = M / g.group;
  std::vector<double> y;
  for (int64_t n = 0; n < g.x[0]; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double sum = 0;
          for (int64_t c = 0; c < CG; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * g.strides[0] - g.pads[0] + kh * g.dilations[0];
                const int64_t iw = ow * g.strides[1] - g.pads[1] + kw * g.dilations[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const int64_t ic = (m / MG) * CG + c;
                sum += x[((n * C + ic) * H + ih) * W + iw] * w[((m * CG + c) * KH + kh) * KW + kw];
              }
          y.push_back(sum);
        }
  return y;
}

enum class Residual { kNone, kInt8, kUint8, kFloat, kChannelConstant, kPerSampleInt8 };

struct ConvCase {
  int geometry = 0;
  ActQuant x;
  bool bias = true;
  bool batch_norm = false;
  Residual residual = Residual::kNone;
  bool residual_first = false;  // the operand as the Add's input 0
  std::string activation;       // "", or one of activation_step's
  DataType output = KILN_DTYPE_INT8;
  int weight_grid = 0;          // W's parameters: 0 none, else grid_weights' kind
  bool saturate = false;
  bool fused = true;            // false: a lone Conv through ConvInt8

  std::string label() const {
    return "geometry " + std::to_string(geometry) + " x " + dtype_name(x.dtype) + (bias ? " bias" : "") +
           (batch_norm ? " bn" : "") + " residual " + std::to_string(static_cast<int>(residual)) +
           (residual_first ? " first" : "") + " act '" + activation + "' out " + dtype_name(output) + " grid " +
           std::to_string(weight_grid) + (saturate ? " saturating" : "") + (fused ? "" : " lone");
  }
};

// Builds the case's chain and returns the model's reals of Y.
std::vector<double> build_conv(Chain& c, const ConvCase& k) {
  const ConvGeometry g = geometries()[static_cast<size_t>(k.geometry)];
  const std::vector<int64_t> out = conv_output_dims(g);
  const int64_t maps = g.w[0], per_map = g.w[1] * g.w[2] * g.w[3];
  Value* x = c.quantized_input("x", g.x, k.x);
  Value* w;
  std::vector<double> w_reals;  // the reals of W's integers, for a W used on its own grid
  if (k.weight_grid) {
    GridWeights grid = grid_weights(c.rng(), g.w, 0, k.weight_grid);
    w = c.constant("w", grid.values);
    w->quant = grid.quant;
    w_reals = grid.reals;
  } else {
    w = c.constant("w", g.w);
  }
  std::vector<Value*> inputs = {x, w};
  if (k.bias) inputs.push_back(c.constant("b", {maps}));
  c.node("Conv", inputs, conv_attrs(g), 11);

  std::vector<double> bias = k.bias ? c.reals(inputs[2]) : std::vector<double>(static_cast<size_t>(maps), 0.0);
  auto channel_of = [&](int64_t i) { return i / per_map; };
  if (k.batch_norm) {
    const auto [scale, shift] = batch_norm(c, maps);
    std::vector<double> folded = c.reals(w);
    for (size_t i = 0; i < folded.size(); ++i) folded[i] *= scale[channel_of(i)];
    w_reals = symmetric_weight_reals(folded, maps, channel_of);
    for (int64_t m = 0; m < maps; ++m) bias[m] = bias[m] * scale[m] + shift[m];
  } else if (!k.weight_grid) {
    w_reals = symmetric_weight_reals(c.reals(w), maps, channel_of);
  }

  std::vector<double> real = direct_conv(g, c.reals(x), w_reals);
  const int64_t plane = out[2] * out[3];
  for (size_t i = 0; i < real.size(); ++i) real[i] += bias[(i / plane) % maps];

  if (k.residual != Residual::kNone) {
    Value* r = nullptr;
    std::vector<int64_t> dims = out;
    if (k.residual == Residual::kInt8) r = c.quantized_input("residual", dims, {KILN_DTYPE_INT8, 0.08f, 0});
    if (k.residual == Residual::kUint8) r = c.quantized_input("residual", dims, {KILN_DTYPE_UINT8, 0.06f, 120});
    if (k.residual == Residual::kFloat) r = c.float_input("residual", dims);
    if (k.residual == Residual::kChannelConstant) r = c.constant("residual", dims = {maps, 1, 1});
    if (k.residual == Residual::kPerSampleInt8)
      r = c.quantized_input("residual", dims = {1, maps, out[2], out[3]}, {KILN_DTYPE_INT8, 0.03f, -5});
    c.node("Add", k.residual_first ? std::vector<Value*>{r, nullptr} : std::vector<Value*>{nullptr, r}, {}, 14);
    const std::vector<double> rv = c.reals(r);
    for (size_t i = 0; i < real.size(); ++i) real[i] += broadcast_at(rv, dims, out, static_cast<int64_t>(i));
  }
  activation_step(c, k.activation);
  for (double& v : real) v = activate(k.activation, v);
  return real;
}

void expect_conv(const ConvCase& k) {
  SCOPED_TRACE(k.label());
  Chain chain(1000 + k.geometry);
  const std::vector<double> real = build_conv(chain, k);
  chain.set_output(k.output, real, k.saturate);
  const std::vector<int64_t> dims = conv_output_dims(geometries()[static_cast<size_t>(k.geometry)]);
  if (k.fused) expect_kernel_matches(chain, "kiln.cpu_ref.ConvFusedInt8", "ConvFused", real, dims);
  else expect_kernel_matches(chain, "kiln.cpu_ref.ConvInt8", "", real, dims);
}

const int kGeometries = static_cast<int>(geometries().size());

TEST(Int8ConvFused, EveryGeometryWithAndWithoutBiasToInt8AndFloat) {
  for (int g = 0; g < kGeometries; ++g)
    for (bool bias : {false, true})
      for (DataType out : {KILN_DTYPE_INT8, KILN_DTYPE_FLOAT32}) {
        ConvCase k;
        k.geometry = g, k.bias = bias, k.output = out, k.activation = "Relu";
        expect_conv(k);
      }
}

TEST(Int8Conv, LoneConvNodesEveryGeometry) {
  for (int g = 0; g < kGeometries; ++g)
    for (DataType out : {KILN_DTYPE_INT8, KILN_DTYPE_UINT8, KILN_DTYPE_FLOAT32}) {
      ConvCase k;
      k.geometry = g, k.output = out, k.fused = false, k.bias = g % 2 == 0;
      expect_conv(k);
    }
}

// Weights carrying their grid (a folded DequantizeLinear) are used as they are, per tensor or per channel,
// int8 or uint8 with zero points.
TEST(Int8ConvFused, WeightsOnTheirGridAreRecoveredExactly) {
  for (int g = 0; g < kGeometries; ++g)
    for (int grid : {1, 2, 3})
      for (bool lone : {false, true}) {
        ConvCase k;
        k.geometry = g, k.weight_grid = grid, k.fused = !lone, k.activation = lone ? "" : "Clip";
        expect_conv(k);
      }
}

// A BatchNormalization moves W off any grid: re-quantized per output channel, symmetric.
TEST(Int8ConvFused, BatchNormalizationRequantizesTheWeights) {
  for (int g = 0; g < kGeometries; ++g)
    for (int grid : {0, 2})
      for (bool bias : {false, true}) {
        ConvCase k;
        k.geometry = g, k.weight_grid = grid, k.bias = bias, k.batch_norm = true;
        k.output = bias ? KILN_DTYPE_INT8 : KILN_DTYPE_FLOAT32;
        expect_conv(k);
      }
}

TEST(Int8ConvFused, ResidualsInt8Uint8FloatAndBroadcast) {
  const Residual kinds[] = {Residual::kInt8, Residual::kUint8, Residual::kFloat, Residual::kChannelConstant,
                            Residual::kPerSampleInt8};
  for (int g : {0, 1, 2, 3})
    for (Residual r : kinds)
      for (bool first : {false, true}) {
        ConvCase k;
        k.geometry = g, k.residual = r, k.residual_first = first, k.activation = first ? "Relu" : "";
        k.output = r == Residual::kFloat ? KILN_DTYPE_FLOAT32 : KILN_DTYPE_INT8;
        expect_conv(k);
      }
}

TEST(Int8ConvFused, ActivationsAndSaturation) {
  for (const std::string act : {"Relu", "Clip", "Clip6", "LeakyRelu"})
    for (int g : {0, 1, 4})
      for (bool saturate : {false, true}) {
        ConvCase k;
        k.geometry = g, k.activation = act, k.saturate = saturate, k.batch_norm = g == 1;
        expect_conv(k);
      }
}

// uint8 throughout, with zero points: X, W's grid, the residual and Y.
TEST(Int8ConvFused, Uint8WithZeroPointsThroughTheWholeChain) {
  for (int g = 0; g < kGeometries; ++g)
    for (bool bn : {false, true}) {
      ConvCase k;
      k.geometry = g, k.x = {KILN_DTYPE_UINT8, 0.02f, 131}, k.weight_grid = 3, k.batch_norm = bn;
      k.residual = Residual::kUint8, k.activation = "Relu", k.output = KILN_DTYPE_UINT8;
      expect_conv(k);
      k.x = {KILN_DTYPE_INT8, 0.04f, -9}, k.output = KILN_DTYPE_UINT8, k.saturate = true;  // asymmetric int8 X
      expect_conv(k);
    }
}

// ------------------------------------------------------------------------------------------------------------
// Gemm and MatMul.

struct GemmCase {
  int64_t m = 5, k = 7, n = 3;
  bool trans_b = false;
  float alpha = 1.f, beta = 1.f;
  std::vector<int64_t> c;  // C's dims; empty: no C
  ActQuant a;
  int weight_grid = 0;
  bool batch_norm = false;
  std::string activation;
  DataType output = KILN_DTYPE_INT8;

  bool fused() const { return batch_norm || !activation.empty(); }
  std::string label() const {
    return std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n) + (trans_b ? " transB" : "") +
           " alpha " + std::to_string(alpha) + " beta " + std::to_string(beta) + " C rank " +
           std::to_string(c.size()) + " A " + dtype_name(a.dtype) + " grid " + std::to_string(weight_grid) +
           (batch_norm ? " bn" : "") + " act '" + activation + "' out " + dtype_name(output);
  }
};

std::vector<double> build_gemm(Chain& c, const GemmCase& g) {
  const std::vector<int64_t> b_dims = g.trans_b ? std::vector<int64_t>{g.n, g.k} : std::vector<int64_t>{g.k, g.n};
  const int axis = g.trans_b ? 0 : 1;
  Value* a = c.quantized_input("a", {g.m, g.k}, g.a);
  Value* b;
  std::vector<double> b_reals;
  if (g.weight_grid) {
    GridWeights grid = grid_weights(c.rng(), b_dims, axis, g.weight_grid);
    b = c.constant("b", grid.values);
    b->quant = grid.quant;
    b_reals = grid.reals;
  } else {
    b = c.constant("b", b_dims);
  }
  std::vector<Value*> inputs = {a, b};
  if (!g.c.empty()) inputs.push_back(c.constant("c", g.c));
  c.node("Gemm", inputs,
         {{"alpha", float_attr(g.alpha)}, {"beta", float_attr(g.beta)}, {"transB", int_attr(g.trans_b ? 1 : 0)}}, 13);

  auto column_of = [&](int64_t i) { return g.trans_b ? i / g.k : i % g.n; };
  std::vector<double> scale(static_cast<size_t>(g.n), 1.0), shift(static_cast<size_t>(g.n), 0.0);
  if (g.batch_norm) {
    std::tie(scale, shift) = batch_norm(c, g.n);
    std::vector<double> folded = c.reals(b);
    for (size_t i = 0; i < folded.size(); ++i) folded[i] *= scale[column_of(i)];
    b_reals = symmetric_weight_reals(folded, g.n, column_of);
  } else if (!g.weight_grid) {
    b_reals = symmetric_weight_reals(c.reals(b), g.n, column_of);
  }
  // (alpha * A * B + beta * C) * scale + shift, with B's columns already times scale (folded).
  const std::vector<double> ar = c.reals(a);
  const std::vector<double> cr = g.c.empty() ? std::vector<double>() : c.reals(inputs[2]);
  std::vector<double> real;
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < g.k; ++p) sum += ar[i * g.k + p] * b_reals[g.trans_b ? j * g.k + p : p * g.n + j];
      const double bias = cr.empty() ? 0.0 : g.beta * broadcast_at(cr, g.c, {g.m, g.n}, i * g.n + j);
      real.push_back(g.alpha * sum + bias * scale[j] + shift[j]);
    }
  activation_step(c, g.activation);
  for (double& v : real) v = activate(g.activation, v);
  return real;
}

void expect_gemm(const GemmCase& g) {
  SCOPED_TRACE(g.label());
  Chain chain(77 + g.m * 31 + g.n);
  const std::vector<double> real = build_gemm(chain, g);
  chain.set_output(g.output, real, false);
  if (g.fused()) expect_kernel_matches(chain, "kiln.cpu_ref.GemmFusedInt8", "GemmFused", real, {g.m, g.n});
  else expect_kernel_matches(chain, "kiln.cpu_ref.GemmInt8", "", real, {g.m, g.n});
}

std::vector<GemmCase> gemm_shapes() {
  std::vector<GemmCase> cases(5);
  cases[1].c = {3};
  cases[2].m = 4, cases[2].k = 16, cases[2].n = 6, cases[2].trans_b = true, cases[2].c = {4, 6};
  cases[2].alpha = 0.5f, cases[2].beta = -1.5f;
  cases[3].m = 8, cases[3].k = 32, cases[3].n = 10, cases[3].trans_b = true, cases[3].c = {1, 10};
  cases[4].m = 1, cases[4].k = 9, cases[4].n = 16, cases[4].c = {1}, cases[4].alpha = 0.25f;  // one row
  return cases;
}

TEST(Int8Gemm, ShapesTransBAlphaBetaAndC) {
  for (GemmCase g : gemm_shapes())
    for (DataType out : {KILN_DTYPE_INT8, KILN_DTYPE_FLOAT32})
      for (int grid : {0, 1, 2, 3}) {
        g.output = out, g.weight_grid = grid;
        expect_gemm(g);
      }
}

TEST(Int8Gemm, Uint8ActivationsWithZeroPoints) {
  for (GemmCase g : gemm_shapes()) {
    g.a = {KILN_DTYPE_UINT8, 0.03f, 117}, g.weight_grid = 3, g.output = KILN_DTYPE_UINT8;
    expect_gemm(g);
  }
}

TEST(Int8GemmFused, BatchNormalizationAndActivations) {
  for (GemmCase g : gemm_shapes())
    for (const std::string act : {"", "Relu", "Clip"})
      for (bool bn : {false, true}) {
        if (act.empty() && !bn) continue;  // a lone Gemm: GemmInt8's
        g.activation = act, g.batch_norm = bn, g.weight_grid = 2;
        g.output = act == "Clip" ? KILN_DTYPE_FLOAT32 : KILN_DTYPE_INT8;
        expect_gemm(g);
      }
}

struct MatMulCase {
  std::vector<int64_t> a;  // [..., K]
  int64_t n = 4;
  ActQuant aq;
  int weight_grid = 0;
  size_t bias_rank = 0;  // 0: a lone MatMul; else MatMul -> Add with a bias of this rank
  bool bias_first = false;
  std::string activation;
  DataType output = KILN_DTYPE_INT8;

  std::string label() const {
    std::string dims;
    for (int64_t d : a) dims += std::to_string(d) + ",";
    return "A [" + dims + "] n " + std::to_string(n) + " " + dtype_name(aq.dtype) + " grid " + std::to_string(weight_grid) +
           " bias rank " + std::to_string(bias_rank) + (bias_first ? " first" : "") + " act '" + activation + "' out " +
           dtype_name(output);
  }
};

std::vector<double> build_matmul(Chain& c, const MatMulCase& mm, std::vector<int64_t>& dims) {
  const int64_t k = mm.a.back();
  int64_t rows = 1;  // A's leading dims (none for a 1-D A: one row)
  for (size_t d = 0; d + 1 < mm.a.size(); ++d) rows *= mm.a[d];
  Value* a = c.quantized_input("a", mm.a, mm.aq);
  Value* b;
  std::vector<double> b_reals;
  if (mm.weight_grid) {
    GridWeights grid = grid_weights(c.rng(), {k, mm.n}, 1, mm.weight_grid);
    b = c.constant("b", grid.values);
    b->quant = grid.quant;
    b_reals = grid.reals;
  } else {
    b = c.constant("b", {k, mm.n});
    b_reals = symmetric_weight_reals(c.reals(b), mm.n, [&](int64_t i) { return i % mm.n; });
  }
  c.node("MatMul", {a, b}, {}, 13);
  dims.assign(mm.a.begin(), mm.a.end() - 1);
  dims.push_back(mm.n);
  std::vector<double> bias(static_cast<size_t>(mm.n), 0.0);
  if (mm.bias_rank) {
    std::vector<int64_t> bias_dims(mm.bias_rank, 1);
    bias_dims.back() = mm.n;
    Value* bv = c.constant("bias", bias_dims);
    c.node("Add", mm.bias_first ? std::vector<Value*>{bv, nullptr} : std::vector<Value*>{nullptr, bv}, {}, 14);
    bias = c.reals(bv);
    while (dims.size() < mm.bias_rank) dims.insert(dims.begin(), 1);  // the bias may add leading unit dims
  }
  const std::vector<double> ar = c.reals(a);
  std::vector<double> real;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < mm.n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p) sum += ar[i * k + p] * b_reals[p * mm.n + j];
      real.push_back(activate(mm.activation, sum + bias[j]));
    }
  activation_step(c, mm.activation);
  return real;
}

void expect_matmul(const MatMulCase& mm) {
  SCOPED_TRACE(mm.label());
  Chain chain(5 + mm.a.size() * 13 + mm.n);
  std::vector<int64_t> dims;
  const std::vector<double> real = build_matmul(chain, mm, dims);
  chain.set_output(mm.output, real, false);
  if (mm.bias_rank) expect_kernel_matches(chain, "kiln.cpu_ref.MatMulAddFusedInt8", "MatMulAddFused", real, dims);
  else expect_kernel_matches(chain, "kiln.cpu_ref.MatMulInt8", "", real, dims);
}

std::vector<MatMulCase> matmul_shapes() {
  std::vector<MatMulCase> cases(4);
  cases[0].a = {6, 9}, cases[0].n = 4;
  cases[1].a = {2, 5, 16}, cases[1].n = 12;  // a transformer's [batch, seq, hidden]
  cases[2].a = {8}, cases[2].n = 6;          // 1-D A: one row
  cases[3].a = {2, 3, 4, 8}, cases[3].n = 5;
  return cases;
}

TEST(Int8MatMul, LoneMatMulToInt8Uint8AndFloat) {
  for (MatMulCase mm : matmul_shapes())
    for (DataType out : {KILN_DTYPE_INT8, KILN_DTYPE_UINT8, KILN_DTYPE_FLOAT32})
      for (int grid : {0, 2, 3}) {
        mm.output = out, mm.weight_grid = grid;
        mm.aq = grid == 3 ? ActQuant{KILN_DTYPE_UINT8, 0.02f, 140} : ActQuant{};
        expect_matmul(mm);
      }
}

TEST(Int8MatMulAddFused, LinearLayerWithBiasAndActivation) {
  for (MatMulCase mm : matmul_shapes())
    for (const std::string act : {"", "Relu", "LeakyRelu"})
      for (bool first : {false, true}) {
        mm.bias_rank = first ? 1 : std::max<size_t>(1, mm.a.size()), mm.bias_first = first, mm.activation = act;
        mm.weight_grid = first ? 1 : 0, mm.output = act == "LeakyRelu" ? KILN_DTYPE_FLOAT32 : KILN_DTYPE_INT8;
        expect_matmul(mm);
      }
}

// ------------------------------------------------------------------------------------------------------------
// What the kernels decline, and how they are declared.

// check() of kernel `name` on the chain's node (fused as op_type, or its one node) declines with `expected`.
// `attrs` are set on the checked node itself.
void expect_declined(const std::string& name, const std::string& op_type, const std::function<void(Chain&)>& build,
                     const std::string& expected, const std::map<std::string, Attribute>& attrs = {}) {
  SCOPED_TRACE(name + ": " + expected);
  Chain chain(9);
  build(chain);
  std::unique_ptr<Node> fused = op_type.empty() ? nullptr : testing::fused_node(chain.graph(), op_type);
  Node& node = fused ? *fused : *chain.graph().nodes().front();
  for (const auto& [key, value] : attrs) node.attributes[key] = value;
  const std::string reason = check_kernel(kernel(name), node);
  EXPECT_NE(reason.find(expected), std::string::npos) << "reason: '" << reason << "', expected '" << expected << "'";
}

const ActQuant kInt8X;

// A Conv [+ Relu] of geometry 0 whose X is `x` and Y int8 with parameters.
void conv_with_x(Chain& c, Value* x, bool relu = true) {
  c.node("Conv", {x, c.constant("w", {4, 3, 3, 3}), c.constant("b", {4})}, conv_attrs(geometries()[0]), 11);
  if (relu) c.node("Relu", {nullptr}, {}, 14);
  c.set_output(KILN_DTYPE_INT8, {-1.0, 1.0}, false);
}

TEST(Int8Kernels, ConvDeclinesWhatItCannotRunWithAReason) {
  const std::string fused = "kiln.cpu_ref.ConvFusedInt8", lone = "kiln.cpu_ref.ConvInt8";
  for (const auto& [name, op] : {std::pair<std::string, std::string>{fused, "ConvFused"}, {lone, ""}}) {
    const bool relu = !op.empty();
    expect_declined(name, op, [&](Chain& c) { conv_with_x(c, c.float_input("x", {2, 3, 7, 6}), relu); },
                    "is float32, not an int8/uint8 activation");
    expect_declined(name, op, [&](Chain& c) {
      Value* x = c.quantized_input("x", {2, 3, 7, 6}, kInt8X);
      x->quant->axis = 1, x->quant->scales = {0.1f, 0.2f, 0.3f}, x->quant->zero_points = {0, 0, 0};
      conv_with_x(c, x, relu);
    }, "quantized per axis");
    expect_declined(name, op, [&](Chain& c) {
      Value* x = c.quantized_input("x", {2, 3, 7, 6}, kInt8X);
      x->quant.reset();
      conv_with_x(c, x, relu);
    }, "has no quantization parameters");
    expect_declined(name, op, [&](Chain& c) {
      c.node("Conv", {c.quantized_input("x", {2, 3, 7, 6}, kInt8X), c.float_input("w", {4, 3, 3, 3})}, {}, 11);
      if (relu) c.node("Relu", {nullptr}, {}, 14);
      c.set_output(KILN_DTYPE_INT8, {-1.0, 1.0}, false);
    }, "is not a constant");
    expect_declined(name, op, [&](Chain& c) {
      conv_with_x(c, c.quantized_input("x", {2, 3, 7, 6}, kInt8X), relu);
      c.end()->quant.reset();
    }, "output");
    expect_declined(name, op, [&](Chain& c) {
      conv_with_x(c, c.quantized_input("x", {2, 3, 7, 6}, kInt8X), relu);
      c.end()->dtype = KILN_DTYPE_FLOAT16;
    }, "INT8 kernels write int8, uint8 or float32");
    expect_declined(name, op, [&](Chain& c) {
      GridWeights grid = grid_weights(c.rng(), {4, 3, 3, 3}, 1, 2);  // per axis 1: not the output channels
      Value* w = c.constant("w", grid.values);
      w->quant = grid.quant;
      c.node("Conv", {c.quantized_input("x", {2, 3, 7, 6}, kInt8X), w}, {}, 11);
      if (relu) c.node("Relu", {nullptr}, {}, 14);
      c.set_output(KILN_DTYPE_INT8, {-1.0, 1.0}, false);
    }, "INT8 weights need one scale per tensor or per output channel");
    expect_declined(name, op, [&](Chain& c) {
      Tensor b(KILN_DTYPE_INT32, {4});
      std::fill(b.as<int32_t>(), b.as<int32_t>() + 4, 7);
      c.node("Conv", {c.quantized_input("x", {2, 3, 7, 6}, kInt8X), c.constant("w", {4, 3, 3, 3}), c.constant("b", b)}, {}, 11);
      if (relu) c.node("Relu", {nullptr}, {}, 14);
      c.set_output(KILN_DTYPE_INT8, {-1.0, 1.0}, false);
    }, "float bias");
  }
  expect_declined(fused, "ConvFused", [](Chain& c) {
    conv_with_x(c, c.quantized_input("x", {2, 3, 7, 6}, kInt8X), false);
    Value* r = c.quantized_input("r", {2, 4, 5, 4}, kInt8X);
    r->quant->axis = 1, r->quant->scales = {1.f, 1.f, 1.f, 1.f}, r->quant->zero_points = {0, 0, 0, 0};
    c.node("Add", {nullptr, r}, {}, 14);
    c.set_output(KILN_DTYPE_INT8, {-1.0, 1.0}, false);
  }, "the Add operand 'r' is quantized per axis");
  expect_declined(fused, "ConvFused", [](Chain& c) {
    conv_with_x(c, c.quantized_input("x", {2, 3, 7, 6}, kInt8X), false);
    c.node("Add", {nullptr, c.float_input("r", {3, 2, 4, 5, 4})}, {}, 14);
    c.set_output(KILN_DTYPE_INT8, {-1.0, 1.0}, false);
  }, "does not broadcast");
  expect_declined(fused, "ConvFused", [](Chain& c) {
    conv_with_x(c, c.quantized_input("x", {2, 3, 7, 6}, kInt8X), false);
    c.node("Clip", {nullptr, c.float_input("lo", {}), c.scalar("hi", 1.f)}, {}, 13);
    c.set_output(KILN_DTYPE_INT8, {-1.0, 1.0}, false);
  }, "not a constant");
  expect_declined(fused, "ConvFused", [](Chain& c) { conv_with_x(c, c.quantized_input("x", {2, 3, 7, 6}, kInt8X)); },
                  "kiln_stack", {{"kiln_stack", ints_attr({2, 2})}});
}

TEST(Int8Kernels, GemmAndMatMulDeclineWhatTheyCannotRunWithAReason) {
  const std::string gemm = "kiln.cpu_ref.GemmInt8", matmul = "kiln.cpu_ref.MatMulInt8";
  auto gemm_node = [](Chain& c, Value* a, Value* b, std::map<std::string, Attribute> attrs = {}) {
    c.node("Gemm", {a, b}, std::move(attrs), 13);
    c.set_output(KILN_DTYPE_INT8, {-1.0, 1.0}, false);
  };
  expect_declined(gemm, "", [&](Chain& c) { gemm_node(c, c.float_input("a", {5, 7}), c.constant("b", {7, 3})); },
                  "is float32, not an int8/uint8 activation");
  expect_declined(gemm, "", [&](Chain& c) {
    Value* a = c.quantized_input("a", {5, 7}, kInt8X);
    a->quant.reset();
    gemm_node(c, a, c.constant("b", {7, 3}));
  }, "has no quantization parameters");
  expect_declined(gemm, "", [&](Chain& c) {
    Value* a = c.quantized_input("a", {5, 7}, kInt8X);
    a->quant->axis = 0, a->quant->scales.assign(5, 0.1f), a->quant->zero_points.assign(5, 0);
    gemm_node(c, a, c.constant("b", {7, 3}));
  }, "quantized per axis");
  expect_declined(gemm, "", [&](Chain& c) {
    gemm_node(c, c.quantized_input("a", {7, 5}, kInt8X), c.constant("b", {7, 3}), {{"transA", int_attr(1)}});
  }, "transA=1");
  expect_declined(gemm, "", [&](Chain& c) { gemm_node(c, c.quantized_input("a", {5, 7}, kInt8X), c.float_input("b", {7, 3})); },
                  "is not a constant");
  expect_declined(gemm, "", [&](Chain& c) {
    GridWeights grid = grid_weights(c.rng(), {7, 3}, 1, 2);  // per column of [K, N], but transB says [N, K]
    Value* b = c.constant("b", grid.values);
    b->quant = grid.quant;
    gemm_node(c, c.quantized_input("a", {5, 3}, kInt8X), b, {{"transB", int_attr(1)}});
  }, "per output channel (axis 0)");
  expect_declined(matmul, "", [&](Chain& c) {
    c.node("MatMul", {c.float_input("a", {5, 7}), c.constant("b", {7, 3})}, {}, 13);
  }, "not an int8/uint8 activation");
  expect_declined(matmul, "", [&](Chain& c) {
    c.node("MatMul", {c.quantized_input("a", {2, 5, 7}, kInt8X), c.constant("b", {2, 7, 3})}, {}, 13);
    c.set_output(KILN_DTYPE_INT8, {-1.0, 1.0}, false);
  }, "is not 2-D");
  const std::string linear = "kiln.cpu_ref.MatMulAddFusedInt8";
  expect_declined(linear, "MatMulAddFused", [&](Chain& c) {
    c.node("MatMul", {c.quantized_input("a", {4, 8}, kInt8X), c.constant("w", {8, 6})}, {}, 13);
    c.node("Add", {nullptr, c.float_input("bias", {6})}, {}, 14);
    c.set_output(KILN_DTYPE_INT8, {-1.0, 1.0}, false);
  }, "not a constant bias");
  expect_declined(linear, "MatMulAddFused", [&](Chain& c) {
    c.node("MatMul", {c.quantized_input("a", {4, 8}, kInt8X), c.constant("w", {8, 6})}, {}, 13);
    c.node("Add", {nullptr, c.constant("bias", {4, 6})}, {}, 14);
    c.set_output(KILN_DTYPE_INT8, {-1.0, 1.0}, false);
  }, "one value per column");
}

// Each INT8 kernel stands next to its float kernel: the same op, domain and pattern, int8/uint8 activations in,
// int8/uint8/float32 out, flagged QUANTIZED.
TEST(Int8Kernels, DeclaredLikeTheirFloatKernels) {
  const std::pair<const char*, const char*> pairs[] = {
      {"ConvFused", "ConvFusedInt8"}, {"Conv", "ConvInt8"},     {"GemmFused", "GemmFusedInt8"},
      {"Gemm", "GemmInt8"},           {"MatMul", "MatMulInt8"}, {"MatMulAddFused", "MatMulAddFusedInt8"}};
  for (const auto& [float_name, int8_name] : pairs) {
    SCOPED_TRACE(int8_name);
    const kiln_kernel_desc& f = kernel(std::string("kiln.cpu_ref.") + float_name);
    const kiln_kernel_desc& q = kernel(std::string("kiln.cpu_ref.") + int8_name);
    EXPECT_STREQ(q.op_type, f.op_type);
    EXPECT_STREQ(q.domain, f.domain);
    ASSERT_EQ(q.pattern_length, f.pattern_length);
    for (int i = 0; i < q.pattern_length; ++i) {
      EXPECT_STREQ(q.pattern[i].op_type, f.pattern[i].op_type);
      EXPECT_EQ(q.pattern[i].chained_input, f.pattern[i].chained_input);
      EXPECT_EQ(q.pattern[i].flags, f.pattern[i].flags);
    }
    const uint64_t int8 = KILN_DTYPE_BIT(KILN_DTYPE_INT8) | KILN_DTYPE_BIT(KILN_DTYPE_UINT8);
    EXPECT_EQ(q.inputs[0].dtypes, int8);
    EXPECT_EQ(q.outputs[0].dtypes, int8 | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32));
    EXPECT_EQ(q.flags, KILN_KERNEL_QUANTIZED);  // what lets the builder give it quantized activations
  }
}

// The selector picks the INT8 kernel for quantized activations and the float one otherwise, plain or fused.
TEST(Int8Kernels, TheSelectorPicksThemForQuantizedActivations) {
  const BuildConfig config;
  const KernelSelector selector(registry(), config);
  for (bool quantized : {false, true}) {
    Chain c(3);
    Value* x = quantized ? c.quantized_input("x", {2, 3, 7, 6}, kInt8X) : c.float_input("x", {2, 3, 7, 6});
    conv_with_x(c, x);
    if (!quantized) c.end()->dtype = KILN_DTYPE_FLOAT32, c.end()->quant.reset();
    const Selection lone = selector.select(*c.graph().nodes().front());
    ASSERT_TRUE(lone.chosen);
    EXPECT_STREQ(lone.chosen->desc->name, quantized ? "kiln.cpu_ref.ConvInt8" : "kiln.cpu_ref.Conv");
    const std::unique_ptr<Node> fused = testing::fused_node(c.graph(), "ConvFused");
    const Selection chain = selector.select(*fused);
    ASSERT_TRUE(chain.chosen);
    EXPECT_STREQ(chain.chosen->desc->name, quantized ? "kiln.cpu_ref.ConvFusedInt8" : "kiln.cpu_ref.ConvFused");
  }
}

}  // namespace
}  // namespace kiln
