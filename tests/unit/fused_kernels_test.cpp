// The reference pack's fused kernels (ConvFused, GemmFused, MatMulAddFused) against the unfused chain they
// stand for. Each case builds the chain twice from one seed: once as an ordinary graph that an Engine runs node
// by node through the reference pack (the oracle), once as the inputs of a fused node built by hand as the
// core's fusion pass would (kiln/plugin.h's input convention), whose kernel is then called through its
// descriptor: check, infer, create, execute on NaN-poisoned outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <cstring>
#include <limits>
#include <random>

#include "kiln/float16.hpp"
#include "kernel_call_testing.hpp"
#include "pass_test_support.hpp"
#include "plugin/host_api.hpp"
#include "runtime/engine.hpp"

namespace kiln {
namespace {

using testing::check_kernel;
using testing::run_kernel;

using testing::float_attr;
using testing::int_attr;
using testing::ints_attr;
using testing::string_attr;

std::string reference_pack() { return std::string(KILN_PLUGIN_DIR) + "/libkiln_cpu_reference.so"; }

const PluginRegistry& registry() {
  static PluginRegistry* r = [] {
    auto* loaded = new PluginRegistry;
    loaded->load(reference_pack());
    return loaded;
  }();
  return *r;
}

// Builds a chain of nodes: each node's input 0 (or the position given) is the previous node's output.
class ChainBuilder {
 public:
  explicit ChainBuilder(uint64_t seed, DataType dtype = KILN_DTYPE_FLOAT32)
      : graph_(std::make_unique<Graph>()), rng_(seed), dtype_(dtype) {
    graph_->opsets[""] = 20;
  }

  // A run-time graph input with random contents in [lo, hi].
  Value* input(const std::string& name, std::vector<int64_t> dims, float lo = -2.f, float hi = 2.f) {
    Value* v = value(name, dims);
    v->is_graph_input = true;
    graph_->inputs().push_back(v);
    feeds_[name] = random(dims, lo, hi);
    return v;
  }
  // An initializer with random contents in [lo, hi].
  Value* constant(const std::string& name, std::vector<int64_t> dims, float lo = -1.f, float hi = 1.f) {
    Value* v = value(name, dims);
    v->constant = random(dims, lo, hi);
    return v;
  }
  Value* scalar(const std::string& name, float x) {
    Value* v = value(name, {});
    v->constant = Tensor(dtype_, {});
    set(*v->constant, 0, x);
    return v;
  }

  // Appends op(inputs...) whose output becomes the chain's end. The first nullptr in `inputs` stands for the
  // chain's end; any later one is an omitted optional input.
  Node* node(const std::string& op, std::vector<Value*> inputs, std::map<std::string, Attribute> attrs = {}, int opset = 20) {
    auto n = std::make_unique<Node>();
    n->name = op + "_" + std::to_string(graph_->nodes().size());
    n->op_type = op;
    n->opset = opset;
    const auto chained = std::find(inputs.begin(), inputs.end(), nullptr);
    if (end_ && chained != inputs.end()) *chained = end_;
    n->inputs = std::move(inputs);
    n->outputs = {graph_->add_value(n->name + "_out")};
    n->attributes = std::move(attrs);
    end_ = n->outputs[0];
    return graph_->add_node(std::move(n));
  }

  Value* end() const { return end_; }
  Graph& graph() { return *graph_; }
  const std::map<std::string, Tensor>& feeds() const { return feeds_; }
  std::unique_ptr<Graph> finish() {
    end_->is_graph_output = true;
    graph_->outputs().push_back(end_);
    return std::move(graph_);
  }

 private:
  Value* value(const std::string& name, const std::vector<int64_t>& dims) {
    Value* v = graph_->add_value(name);
    v->dtype = dtype_;
    v->has_shape = true;
    v->dims = dims;
    return v;
  }
  Tensor random(const std::vector<int64_t>& dims, float lo, float hi) {
    Tensor t(dtype_, dims);
    std::uniform_real_distribution<float> dist(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) set(t, i, dist(rng_));
    return t;
  }
  static void set(Tensor& t, int64_t i, float x) {
    if (t.dtype() == KILN_DTYPE_FLOAT16) t.as<float16>()[i] = float16(x);
    else t.as<float>()[i] = x;
  }

  std::unique_ptr<Graph> graph_;
  std::mt19937_64 rng_;
  DataType dtype_;
  std::map<std::string, Tensor> feeds_;
  Value* end_ = nullptr;
};

// A chain as a test case: how to build it, and which fused kernel takes it.
struct Case {
  std::string name;
  std::string kernel;
  std::function<void(ChainBuilder&)> build;
  // 0: the fused kernel does the oracle's float32 arithmetic, so results are equal. 1e-5 (relative, values below
  // 1 compared absolutely) where BatchNormalization is folded into the weights, which rounds differently.
  double tolerance = 0;
  DataType dtype = KILN_DTYPE_FLOAT32;
};

float element(const Tensor& t, int64_t i) {
  return t.dtype() == KILN_DTYPE_FLOAT16 ? static_cast<float>(t.as<float16>()[i]) : t.as<float>()[i];
}

// |actual - expected| within `tolerance` relative to |expected|, or absolutely below 1.
void expect_close(const Tensor& actual, const Tensor& expected, double tolerance) {
  ASSERT_EQ(actual.dims(), expected.dims());
  ASSERT_EQ(actual.dtype(), expected.dtype());
  int64_t nonzero = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const float e = element(expected, i), a = element(actual, i);
    nonzero += e != 0;
    if (tolerance > 0) ASSERT_NEAR(a, e, tolerance * std::max(1.f, std::abs(e))) << "at " << i;
    else ASSERT_EQ(a, e) << "at " << i;
  }
  EXPECT_GT(nonzero, 0) << "the case computes only zeros";
}

// The oracle's config: the chain runs node by node, unfused.
BuildConfig unfused_config() {
  BuildConfig config;
  config.optimize.fusion = false;
  return config;
}

const kiln_kernel_desc& kernel(const std::string& name) {
  const KernelEntry* entry = registry().find(name);
  if (!entry) throw std::runtime_error("the reference pack has no kernel " + name);
  return *entry->desc;
}

// Runs the case both ways and compares them.
void expect_fused_matches(const Case& c) {
  SCOPED_TRACE(c.name);
  ChainBuilder oracle_chain(42, c.dtype), fused_chain(42, c.dtype);
  c.build(oracle_chain);
  c.build(fused_chain);
  const BuildConfig config = unfused_config();
  Engine engine(oracle_chain.finish(), registry(), config, EngineOptions{true});
  const Tensor expected = engine.run(oracle_chain.feeds()).begin()->second;

  const std::unique_ptr<Node> fused = testing::fused_node(fused_chain.graph(), c.kernel.substr(c.kernel.rfind('.') + 1));
  const kiln_kernel_desc& k = kernel(c.kernel);
  ASSERT_EQ(check_kernel(k, *fused), "");
  expect_close(run_kernel(k, *fused, fused_chain.feeds()), expected, c.tolerance);
}

// Conv geometry for the cases below.
struct ConvGeometry {
  std::vector<int64_t> x, w;
  std::map<std::string, Attribute> attrs;
};

ConvGeometry geometry(int index) {
  switch (index) {
    case 0: return {{2, 3, 7, 6}, {4, 3, 3, 3}, {}};
    case 1: return {{1, 4, 9, 8}, {6, 2, 3, 2}, {{"group", int_attr(2)}, {"strides", ints_attr({2, 1})}, {"pads", ints_attr({1, 0, 1, 1})}}};
    case 2: return {{1, 6, 8, 8}, {6, 1, 3, 3}, {{"group", int_attr(6)}, {"dilations", ints_attr({2, 2})}, {"pads", ints_attr({2, 2, 2, 2})}}};
    case 3: return {{2, 5, 4, 4}, {3, 5, 1, 1}, {}};  // pointwise: no im2col
    case 4: return {{1, 3, 10}, {2, 3, 4}, {{"strides", ints_attr({3})}, {"auto_pad", string_attr("SAME_UPPER")}}};
    default: return {{1, 2, 4, 5, 3}, {3, 2, 2, 3, 2}, {{"pads", ints_attr({0, 1, 1, 1, 0, 0})}}};
  }
}
constexpr int kGeometries = 6;

// Conv [+ bias] of geometry g, with x from a graph input.
void conv(ChainBuilder& b, int g, bool bias) {
  ConvGeometry geo = geometry(g);
  std::vector<Value*> inputs = {b.input("x", geo.x), b.constant("w", geo.w)};
  if (bias) inputs.push_back(b.constant("b", {geo.w[0]}));
  b.node("Conv", inputs, geo.attrs, 11);
}
void batch_norm(ChainBuilder& b, int64_t channels) {
  b.node("BatchNormalization",
         {nullptr, b.constant("bn_scale", {channels}, 0.5f, 1.5f), b.constant("bn_bias", {channels}),
          b.constant("bn_mean", {channels}), b.constant("bn_var", {channels}, 0.1f, 2.f)},
         {{"epsilon", float_attr(1e-3f)}}, 15);
}

// Each activation the fused kernels apply, with non-default attributes where it has any.
std::vector<std::pair<std::string, std::function<void(ChainBuilder&)>>> activations() {
  return {
      {"Relu", [](ChainBuilder& b) { b.node("Relu", {nullptr}); }},
      {"LeakyRelu", [](ChainBuilder& b) { b.node("LeakyRelu", {nullptr}, {{"alpha", float_attr(0.2f)}}); }},
      {"Clip13", [](ChainBuilder& b) { b.node("Clip", {nullptr, b.scalar("lo", -0.5f), b.scalar("hi", 1.5f)}, {}, 13); }},
      {"Clip13MaxOnly", [](ChainBuilder& b) { b.node("Clip", {nullptr, nullptr, b.scalar("hi", 0.25f)}, {}, 13); }},
      {"Clip6", [](ChainBuilder& b) { b.node("Clip", {nullptr}, {{"min", float_attr(-1.f)}, {"max", float_attr(0.5f)}}, 6); }},
      {"Sigmoid", [](ChainBuilder& b) { b.node("Sigmoid", {nullptr}); }},
      {"Tanh", [](ChainBuilder& b) { b.node("Tanh", {nullptr}); }},
      {"HardSigmoid", [](ChainBuilder& b) { b.node("HardSigmoid", {nullptr}, {{"alpha", float_attr(0.3f)}, {"beta", float_attr(0.4f)}}); }},
      {"HardSwish", [](ChainBuilder& b) { b.node("HardSwish", {nullptr}); }},
      {"Elu", [](ChainBuilder& b) { b.node("Elu", {nullptr}, {{"alpha", float_attr(0.7f)}}); }},
      {"Gelu", [](ChainBuilder& b) { b.node("Gelu", {nullptr}); }},
      {"GeluTanh", [](ChainBuilder& b) { b.node("Gelu", {nullptr}, {{"approximate", string_attr("tanh")}}); }},
  };
}

// The Conv's output dims for geometry g (for residual operands).
std::vector<int64_t> conv_output(int g) {
  ChainBuilder b(0);
  conv(b, g, false);
  const BuildConfig config = unfused_config();
  Engine engine(b.finish(), registry(), config);
  ChainBuilder feeds(0);
  conv(feeds, g, false);
  return engine.run(feeds.feeds()).begin()->second.dims();
}

TEST(FusedConv, ConvAloneAndWithBiasEveryGeometry) {
  for (int g = 0; g < kGeometries; ++g)
    for (bool bias : {false, true})
      expect_fused_matches({"geometry " + std::to_string(g) + (bias ? " bias" : ""), "kiln.cpu_ref.ConvFused",
                            [=](ChainBuilder& b) { conv(b, g, bias); }});
}

TEST(FusedConv, BatchNormalizationFoldsIntoTheWeights) {
  for (int g = 0; g < kGeometries; ++g)
    for (bool bias : {false, true})
      expect_fused_matches({"geometry " + std::to_string(g) + (bias ? " bias" : ""), "kiln.cpu_ref.ConvFused",
                            [=](ChainBuilder& b) {
                              conv(b, g, bias);
                              batch_norm(b, geometry(g).w[0]);
                            },
                            1e-5});
}

TEST(FusedConv, ResidualAndPerChannelAdd) {
  for (int g = 0; g < kGeometries; ++g) {
    const std::vector<int64_t> out = conv_output(g);
    std::vector<int64_t> per_channel(out.size() - 1, 1);
    per_channel[0] = out[1];
    // The residual as Add's second input, then as its first; a per-channel constant; one broadcast over the batch.
    std::vector<int64_t> per_sample = out;
    per_sample[0] = 1;
    for (int variant = 0; variant < 4; ++variant)
      expect_fused_matches({"geometry " + std::to_string(g) + " add " + std::to_string(variant), "kiln.cpu_ref.ConvFused",
                            [=](ChainBuilder& b) {
                              conv(b, g, true);
                              if (variant == 0) b.node("Add", {nullptr, b.input("residual", out)}, {}, 14);
                              if (variant == 1) b.node("Add", {b.input("residual", out), nullptr}, {}, 14);
                              if (variant == 2) b.node("Add", {nullptr, b.constant("channel_bias", per_channel)}, {}, 14);
                              if (variant == 3) b.node("Add", {b.input("residual", per_sample), nullptr}, {}, 14);
                            }});
  }
}

TEST(FusedConv, EveryActivation) {
  for (const auto& [name, activation] : activations())
    for (int g : {0, 1, 4})
      expect_fused_matches({name + " geometry " + std::to_string(g), "kiln.cpu_ref.ConvFused", [=](ChainBuilder& b) {
                              conv(b, g, true);
                              activation(b);
                            }});
}

TEST(FusedConv, WholeChainConvBatchNormAddActivation) {
  for (const auto& [name, activation] : activations())
    for (int g : {1, 2, 5})
      expect_fused_matches({name + " geometry " + std::to_string(g), "kiln.cpu_ref.ConvFused",
                            [=, act = activation](ChainBuilder& b) {
                              const std::vector<int64_t> out = conv_output(g);
                              conv(b, g, g != 2);
                              batch_norm(b, geometry(g).w[0]);
                              b.node("Add", {b.input("residual", out), nullptr}, {}, 14);
                              act(b);
                            },
                            1e-5});
}

// float16 computes in float and rounds once, where the oracle rounds after each op: equal to half precision.
TEST(FusedKernels, Float16ComputesInFloat) {
  const double half = 1e-2;
  expect_fused_matches({"conv", "kiln.cpu_ref.ConvFused", [](ChainBuilder& b) {
                          conv(b, 1, true);
                          batch_norm(b, 6);
                          b.node("HardSwish", {nullptr});
                        }, half, KILN_DTYPE_FLOAT16});
  expect_fused_matches({"gemm", "kiln.cpu_ref.GemmFused", [](ChainBuilder& b) {
                          b.node("Gemm", {b.input("a", {5, 7}), b.constant("b", {7, 3}), b.constant("c", {3})}, {}, 13);
                          b.node("Tanh", {nullptr});
                        }, half, KILN_DTYPE_FLOAT16});
  expect_fused_matches({"linear", "kiln.cpu_ref.MatMulAddFused", [](ChainBuilder& b) {
                          b.node("MatMul", {b.input("a", {2, 5, 16}), b.constant("w", {16, 12})}, {}, 13);
                          b.node("Add", {nullptr, b.constant("bias", {12})}, {}, 14);
                          b.node("Gelu", {nullptr});
                        }, half, KILN_DTYPE_FLOAT16});
}

// A case whose fused node check() must decline, with a reason containing `expected`.
void expect_declined(const std::string& kernel_name, const std::function<void(ChainBuilder&)>& build,
                     const std::string& expected) {
  ChainBuilder b(7);
  build(b);
  const std::unique_ptr<Node> fused = testing::fused_node(b.graph(), kernel_name.substr(kernel_name.rfind('.') + 1));
  const std::string reason = check_kernel(kernel(kernel_name), *fused);
  EXPECT_NE(reason.find(expected), std::string::npos) << "reason: '" << reason << "', expected '" << expected << "'";
}

TEST(FusedConv, DeclinesWhatItCannotFuse) {
  const std::string k = "kiln.cpu_ref.ConvFused";
  expect_declined(k, [](ChainBuilder& b) {
    conv(b, 0, true);
    b.node("BatchNormalization", {nullptr, b.constant("s", {4}), b.constant("c", {4}), b.input("mean", {4}), b.constant("v", {4}, 0.1f, 1.f)}, {}, 15);
  }, "not a constant");
  expect_declined(k, [](ChainBuilder& b) {
    conv(b, 0, true);
    batch_norm(b, 4);
    b.graph().nodes().back()->attributes["training_mode"] = int_attr(1);
  }, "training mode");
  expect_declined(k, [](ChainBuilder& b) {
    b.node("Conv", {b.input("x", {2, 3, 7, 6}), b.input("w", {4, 3, 3, 3})}, {}, 11);
    batch_norm(b, 4);
  }, "is not a constant");
  expect_declined(k, [](ChainBuilder& b) {
    conv(b, 0, true);  // output [2, 4, 5, 4]
    b.node("Add", {nullptr, b.input("other", {3, 2, 4, 5, 4})}, {}, 14);
  }, "does not broadcast");
  expect_declined(k, [](ChainBuilder& b) {
    conv(b, 0, true);
    b.node("Clip", {nullptr, b.input("lo", {}), b.scalar("hi", 1.f)}, {}, 13);
  }, "not a constant");
  expect_declined(k, [](ChainBuilder& b) {
    conv(b, 0, true);
    b.node("Gelu", {nullptr}, {{"approximate", string_attr("cubic")}});
  }, "approximate");
}

// Gemm geometries: A, B dims, attributes, C dims (empty: no C).
struct GemmCase {
  std::vector<int64_t> a, b, c;
  std::map<std::string, Attribute> attrs;
};

std::vector<GemmCase> gemm_cases() {
  return {
      {{5, 7}, {7, 3}, {}, {}},
      {{5, 7}, {7, 3}, {3}, {}},
      {{7, 5}, {4, 7}, {5, 4}, {{"transA", int_attr(1)}, {"transB", int_attr(1)}, {"alpha", float_attr(0.5f)}, {"beta", float_attr(-1.5f)}}},
      {{8, 16}, {8, 16}, {1, 8}, {{"transB", int_attr(1)}}},
  };
}

TEST(FusedGemm, GemmWithEveryActivation) {
  for (const auto& [name, activation] : activations())
    for (size_t i = 0; i < gemm_cases().size(); ++i)
      expect_fused_matches({name + " case " + std::to_string(i), "kiln.cpu_ref.GemmFused", [=, act = activation](ChainBuilder& b) {
                              const GemmCase g = gemm_cases()[i];
                              std::vector<Value*> in = {b.input("a", g.a), b.constant("b", g.b)};
                              if (!g.c.empty()) in.push_back(b.constant("c", g.c));
                              b.node("Gemm", in, g.attrs, 13);
                              act(b);
                            }});
}

// Gemm -> BatchNormalization (a Linear + BatchNorm1d), with and without an activation after it.
TEST(FusedGemm, BatchNormalizationFoldsIntoEachColumn) {
  auto acts = activations();
  acts.insert(acts.begin(), {"none", [](ChainBuilder&) {}});
  for (const auto& [name, activation] : acts)
    for (size_t i = 0; i < gemm_cases().size(); ++i)
      expect_fused_matches({"bn " + name + " case " + std::to_string(i), "kiln.cpu_ref.GemmFused",
                            [=, act = activation](ChainBuilder& b) {
                              const GemmCase g = gemm_cases()[i];
                              std::vector<Value*> in = {b.input("a", g.a), b.constant("b", g.b)};
                              if (!g.c.empty()) in.push_back(b.constant("c", g.c));
                              b.node("Gemm", in, g.attrs, 13);
                              const bool trans_b = g.attrs.count("transB") && g.attrs.at("transB").i;
                              batch_norm(b, trans_b ? g.b[0] : g.b[1]);
                              act(b);
                            }});
}

// MatMul geometries (a BERT-like [batch, seq, hidden] x [hidden, out] first) and the bias's rank.
struct MatMulCase {
  std::vector<int64_t> a, b;
  size_t bias_rank;
};

TEST(FusedMatMulAdd, LinearLayerWithAndWithoutActivation) {
  const std::vector<MatMulCase> cases = {{{2, 5, 16}, {16, 12}, 1}, {{6, 9}, {9, 4}, 2}, {{2, 3, 4, 8}, {3, 8, 5}, 3}, {{8}, {8, 6}, 1}};
  auto acts = activations();
  acts.insert(acts.begin(), {"none", [](ChainBuilder&) {}});
  for (const auto& [name, activation] : acts)
    for (size_t i = 0; i < cases.size(); ++i)
      for (bool bias_first : {false, true})
        expect_fused_matches({name + " case " + std::to_string(i) + (bias_first ? " bias first" : ""), "kiln.cpu_ref.MatMulAddFused",
                              [=, act = activation](ChainBuilder& b) {
                                const MatMulCase& m = cases[i];
                                b.node("MatMul", {b.input("a", m.a), b.constant("w", m.b)}, {}, 13);
                                std::vector<int64_t> bias_dims(m.bias_rank, 1);
                                bias_dims.back() = m.b.back();
                                Value* bias = b.constant("bias", bias_dims);
                                b.node("Add", bias_first ? std::vector<Value*>{bias, nullptr} : std::vector<Value*>{nullptr, bias}, {}, 14);
                                act(b);
                              }});
}

TEST(FusedMatMulAdd, DeclinesWhatItCannotFuse) {
  const std::string k = "kiln.cpu_ref.MatMulAddFused";
  expect_declined(k, [](ChainBuilder& b) {
    b.node("MatMul", {b.input("a", {4, 8}), b.constant("w", {8, 6})}, {}, 13);
    b.node("Add", {nullptr, b.input("bias", {6})}, {}, 14);
  }, "not a constant");
  expect_declined(k, [](ChainBuilder& b) {
    b.node("MatMul", {b.input("a", {4, 8}), b.constant("w", {8, 6})}, {}, 13);
    b.node("Add", {nullptr, b.constant("bias", {4, 6})}, {}, 14);
  }, "one value per column");
  expect_declined(k, [](ChainBuilder& b) {
    b.node("MatMul", {b.input("a", {4, 8}), b.constant("w", {8, 6})}, {}, 13);
    b.node("Add", {nullptr, b.constant("bias", {6})}, {}, 14);
    b.node("Clip", {nullptr, b.scalar("lo", 0.f), b.input("hi", {})}, {}, 13);
  }, "not a constant");
}

// Through the core: the builder's fusion pass finds each chain and picks the fused kernel, whose results match
// the unfused oracle's.
TEST(FusedKernels, TheFusionPassPicksThemAndResultsMatch) {
  const std::vector<std::pair<std::string, std::function<void(ChainBuilder&)>>> cases = {
      {"ConvFused", [](ChainBuilder& b) {
         conv(b, 1, true);
         batch_norm(b, 6);
         b.node("Add", {b.input("residual", conv_output(1)), nullptr}, {}, 14);
         b.node("Relu", {nullptr});
       }},
      {"GemmFused", [](ChainBuilder& b) {
         b.node("Gemm", {b.input("a", {5, 7}), b.constant("b", {3, 7}), b.constant("c", {3})}, {{"transB", int_attr(1)}}, 13);
         b.node("Sigmoid", {nullptr});
       }},
      {"MatMulAddFused", [](ChainBuilder& b) {
         b.node("MatMul", {b.input("a", {2, 5, 16}), b.constant("w", {16, 12})}, {}, 13);
         b.node("Add", {nullptr, b.constant("bias", {12})}, {}, 14);
         b.node("Gelu", {nullptr});
       }},
  };
  for (const auto& [op, build] : cases) {
    SCOPED_TRACE(op);
    ChainBuilder oracle_chain(3), fused_chain(3);
    build(oracle_chain);
    build(fused_chain);
    const BuildConfig oracle_config = unfused_config(), config;
    Engine oracle(oracle_chain.finish(), registry(), oracle_config);
    Engine engine(fused_chain.finish(), registry(), config, EngineOptions{true});
    ASSERT_EQ(engine.graph().nodes().size(), 1u);
    EXPECT_EQ(engine.graph().nodes()[0]->op_type, op);
    const Tensor expected = oracle.run(oracle_chain.feeds()).begin()->second;
    expect_close(engine.run(fused_chain.feeds()).begin()->second, expected, 1e-5);
  }
}

TEST(FusedKernels, PatternsAreDeclared) {
  const kiln_kernel_desc& conv_fused = kernel("kiln.cpu_ref.ConvFused");
  ASSERT_EQ(conv_fused.pattern_length, 4);
  EXPECT_STREQ(conv_fused.pattern[0].op_type, "Conv");
  EXPECT_STREQ(conv_fused.pattern[1].op_type, "BatchNormalization");
  EXPECT_STREQ(conv_fused.pattern[2].op_type, "Add");
  EXPECT_EQ(conv_fused.pattern[2].chained_input, -1);
  for (int i = 1; i < 4; ++i) EXPECT_TRUE(conv_fused.pattern[i].flags & KILN_PATTERN_OPTIONAL);
  const std::string alternatives = conv_fused.pattern[3].op_type;
  for (const char* op : {"Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Gelu"})
    EXPECT_NE(("|" + alternatives + "|").find(std::string("|") + op + "|"), std::string::npos) << op << " in " << alternatives;
  const kiln_kernel_desc& gemm_fused = kernel("kiln.cpu_ref.GemmFused");
  ASSERT_EQ(gemm_fused.pattern_length, 3);
  EXPECT_STREQ(gemm_fused.pattern[1].op_type, "BatchNormalization");
  for (int i = 1; i < 3; ++i) EXPECT_TRUE(gemm_fused.pattern[i].flags & KILN_PATTERN_OPTIONAL);
  EXPECT_EQ(kernel("kiln.cpu_ref.MatMulAddFused").pattern_length, 3);
}

}  // namespace
}  // namespace kiln
