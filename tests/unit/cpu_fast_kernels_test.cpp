// The fast CPU pack (plugins/cpu_fast) against the reference pack, kernel by kernel: each case is one node built
// by hand with random inputs and weights, run through the fast kernel and through the reference kernel of the
// same op (the oracle) via their descriptors — check, infer, create, execute into NaN-poisoned outputs. Every case
// runs on both of the fast pack's code paths (AVX2 + FMA where the CPU has it, and the portable one). Then: the
// plan state round trip (a state read back from bytes computes the same as the one that packed the weights, and
// never reads the weights again), damaged states refused, and what the fast kernels decline, with why.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

#include "kernel_call_testing.hpp"
#include "pass_test_support.hpp"
#include "plugin/host_api.hpp"
#include "plugin/plugin_registry.hpp"

namespace kiln {
namespace {

using testing::check_kernel;
using testing::execute_kernel;
using testing::poisoned_output;
using testing::run_kernel;
using Attrs = std::map<std::string, Attribute>;

const PluginRegistry& registry() {
  static PluginRegistry* r = [] {
    auto* loaded = new PluginRegistry;
    loaded->load(std::string(KILN_PLUGIN_DIR) + "/libkiln_cpu_reference.so");
    loaded->load(std::string(KILN_PLUGIN_DIR) + "/libkiln_cpu_fast.so");
    return loaded;
  }();
  return *r;
}

const kiln_kernel_desc& kernel(const std::string& name) {
  const KernelEntry* entry = registry().find(name);
  if (!entry) throw std::runtime_error("no kernel " + name);
  return *entry->desc;
}

// The fast pack's code paths: "" lets it pick (AVX2 + FMA here when the CPU has them), "generic" forces the
// portable one.
const char* const kIsas[] = {"", "generic"};
struct IsaScope {
  explicit IsaScope(const char* isa) {
    if (*isa) setenv("KILN_CPU_FAST_ISA", isa, 1);
    else unsetenv("KILN_CPU_FAST_ISA");
  }
  ~IsaScope() { unsetenv("KILN_CPU_FAST_ISA"); }
};

// One node's graph: run-time inputs (random feeds) and constants (random), then nodes reading them.
class Case {
 public:
  explicit Case(uint64_t seed) : graph_(std::make_unique<Graph>()), rng_(seed) { graph_->opsets[""] = 20; }

  Value* input(const std::string& name, const std::vector<int64_t>& dims) {
    Value* v = value(name, dims);
    feeds_[name] = random(dims, -2.f, 2.f);
    return v;
  }
  // A weight with values in +-sqrt(3 / fan_in), so that sums of fan_in products stay near 1.
  Value* weight(const std::string& name, const std::vector<int64_t>& dims, int64_t fan_in) {
    const float bound = std::sqrt(3.f / static_cast<float>(std::max<int64_t>(1, fan_in)));
    return constant(name, dims, -bound, bound);
  }
  Value* constant(const std::string& name, const std::vector<int64_t>& dims, float lo = -1.f, float hi = 1.f) {
    Value* v = value(name, dims);
    v->constant = random(dims, lo, hi);
    return v;
  }
  Node* node(const std::string& op, std::vector<Value*> inputs, Attrs attrs = {}, int opset = 20) {
    auto n = std::make_unique<Node>();
    n->name = op + "_" + std::to_string(graph_->nodes().size());
    n->op_type = op;
    n->opset = opset;
    n->inputs = std::move(inputs);
    n->outputs = {graph_->add_value(n->name + "_out")};
    n->attributes = std::move(attrs);
    last_ = graph_->add_node(std::move(n));
    return last_;
  }
  Node& last() { return *last_; }
  Graph& graph() { return *graph_; }
  const std::map<std::string, Tensor>& feeds() const { return feeds_; }

 private:
  Value* value(const std::string& name, const std::vector<int64_t>& dims) {
    return testing::GraphBuilder::typed(graph_->add_value(name), dims);
  }
  Tensor random(const std::vector<int64_t>& dims, float lo, float hi) {
    Tensor t(KILN_DTYPE_FLOAT32, dims);
    std::uniform_real_distribution<float> dist(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = dist(rng_);
    return t;
  }

  std::unique_ptr<Graph> graph_;
  std::mt19937_64 rng_;
  std::map<std::string, Tensor> feeds_;
  Node* last_ = nullptr;
};

// |actual - expected| <= tolerance * max(1, |expected|) everywhere (NaN, the poison, never passes).
void expect_close(const Tensor& actual, const Tensor& expected, double tolerance = 1e-4) {
  ASSERT_EQ(actual.dims(), expected.dims());
  int64_t nonzero = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const float e = expected.as<float>()[i], a = actual.as<float>()[i];
    nonzero += e != 0;
    ASSERT_TRUE(std::abs(a - e) <= tolerance * std::max(1.f, std::abs(e))) << "at " << i << ": " << a << " vs " << e;
  }
  EXPECT_GT(nonzero, 0) << "the case computes only zeros";
}

// `fast` and `reference` on `node`: both accept it, and agree on both of the fast pack's code paths.
void expect_matches(const std::string& fast, const std::string& reference, const Node& node,
                    const std::map<std::string, Tensor>& feeds, double tolerance = 1e-4) {
  for (const std::string& name : {fast, reference})
    if (kernel(name).check) {
      ASSERT_EQ(check_kernel(kernel(name), node), "") << name;
    }
  const Tensor expected = run_kernel(kernel(reference), node, feeds);
  for (const char* isa : kIsas) {
    SCOPED_TRACE(std::string("isa ") + (*isa ? isa : "auto"));
    IsaScope scope(isa);
    expect_close(run_kernel(kernel(fast), node, feeds), expected, tolerance);
  }
}

// ---- Conv ----

struct ConvGeometry {
  std::vector<int64_t> x, w;
  Attrs attrs;
};

std::vector<ConvGeometry> conv_geometries() {
  return {
      {{2, 3, 7, 6}, {4, 3, 3, 3}, {}},
      {{1, 4, 9, 8}, {6, 2, 3, 2}, {{"group", int_attr(2)}, {"strides", ints_attr({2, 1})}, {"pads", ints_attr({1, 0, 1, 1})}}},
      {{1, 6, 8, 8}, {6, 1, 3, 3}, {{"group", int_attr(6)}, {"dilations", ints_attr({2, 2})}, {"pads", ints_attr({2, 2, 2, 2})}}},
      {{2, 5, 4, 4}, {3, 5, 1, 1}, {}},  // pointwise: no im2col
      {{1, 3, 10, 7}, {2, 3, 3, 3}, {{"strides", ints_attr({3, 2})}, {"auto_pad", string_attr("SAME_UPPER")}}},
      {{1, 8, 13, 11}, {5, 8, 5, 3}, {{"dilations", ints_attr({1, 2})}, {"auto_pad", string_attr("SAME_LOWER")}}},
      {{1, 32, 17, 19}, {32, 1, 3, 3}, {{"group", int_attr(32)}, {"strides", ints_attr({2, 2})}, {"pads", ints_attr({1, 1, 1, 1})}}},
      {{3, 16, 9, 9}, {24, 4, 1, 1}, {{"group", int_attr(4)}, {"strides", ints_attr({2, 2})}}},  // strided 1x1
      {{1, 2, 5, 5}, {3, 2, 5, 5}, {{"auto_pad", string_attr("VALID")}}},                        // one output pixel
      {{1, 3, 4, 5}, {2, 3, 1, 1}, {{"pads", ints_attr({1, 2, 0, 1})}}},                         // padded 1x1
      {{1, 3, 6, 6}, {4, 3, 2, 2}, {{"pads", ints_attr({3, 0, 0, 3})}}},                         // rows all padding
      // Past every block size: 150 maps (kMC 144), depth 40 * 9 = 360 (kKC 256), 50 * 50 = 2500 pixels (kNC 2048).
      {{1, 40, 50, 50}, {150, 40, 3, 3}, {{"pads", ints_attr({1, 1, 1, 1})}}},
  };
}

// A random, valid 2-D geometry: groups, kernel, strides, dilations and pads drawn from small ranges.
ConvGeometry random_geometry(std::mt19937_64& rng) {
  auto draw = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  const int64_t group = draw(1, 3), cg = draw(1, 5), mg = draw(1, 9), batch = draw(1, 2);
  std::vector<int64_t> kernel = {draw(1, 4), draw(1, 4)}, strides = {draw(1, 3), draw(1, 3)}, dil = {draw(1, 2), draw(1, 2)};
  std::vector<int64_t> pads = {draw(0, 2), draw(0, 2), draw(0, 2), draw(0, 2)};
  std::vector<int64_t> x = {batch, group * cg, 0, 0};
  for (int d = 0; d < 2; ++d) x[2 + d] = (kernel[d] - 1) * dil[d] + 1 + draw(0, 12);
  return {x, {group * mg, cg, kernel[0], kernel[1]},
          {{"group", int_attr(group)}, {"strides", ints_attr(strides)}, {"dilations", ints_attr(dil)}, {"pads", ints_attr(pads)}}};
}

Node* conv(Case& c, const ConvGeometry& g, bool bias) {
  const int64_t fan_in = g.w[1] * g.w[2] * g.w[3];
  std::vector<Value*> inputs = {c.input("x", g.x), c.weight("w", g.w, fan_in)};
  if (bias) inputs.push_back(c.constant("b", {g.w[0]}));
  return c.node("Conv", inputs, g.attrs, 11);
}

TEST(CpuFastConv, MatchesTheReferenceOnEveryGeometry) {
  const std::vector<ConvGeometry> geometries = conv_geometries();
  for (size_t i = 0; i < geometries.size(); ++i)
    for (bool bias : {false, true}) {
      SCOPED_TRACE("geometry " + std::to_string(i) + (bias ? " with bias" : ""));
      Case c(i);
      conv(c, geometries[i], bias);
      expect_matches("kiln.cpu_fast.Conv", "kiln.cpu_ref.Conv", c.last(), c.feeds());
    }
}

TEST(CpuFastConv, MatchesTheReferenceOnRandomGeometries) {
  std::mt19937_64 rng(2026);
  for (int i = 0; i < 40; ++i) {
    const ConvGeometry g = random_geometry(rng);
    SCOPED_TRACE("random geometry " + std::to_string(i) + ": X " + std::to_string(g.x[1]) + "x" + std::to_string(g.x[2]) +
                 "x" + std::to_string(g.x[3]) + ", W " + std::to_string(g.w[0]) + "x" + std::to_string(g.w[1]) + "x" +
                 std::to_string(g.w[2]) + "x" + std::to_string(g.w[3]));
    Case c(100 + i);
    conv(c, g, i % 2 == 0);
    expect_matches("kiln.cpu_fast.Conv", "kiln.cpu_ref.Conv", c.last(), c.feeds());
  }
}

// ---- ConvFused: the chain the fusion pass hands over, against the reference ConvFused on the same node ----

void batch_norm(Case& c, Value* in, int64_t channels) {
  c.node("BatchNormalization",
         {in, c.constant("bn_scale", {channels}, 0.5f, 1.5f), c.constant("bn_bias", {channels}),
          c.constant("bn_mean", {channels}), c.constant("bn_var", {channels}, 0.1f, 2.f)},
         {{"epsilon", float_attr(1e-3f)}}, 15);
}

TEST(CpuFastConvFused, BatchNormAddAndActivationsMatchTheReference) {
  const std::vector<ConvGeometry> geometries = conv_geometries();
  for (size_t i : {0, 1, 2, 3, 6}) {
    for (int variant = 0; variant < 5; ++variant) {
      SCOPED_TRACE("geometry " + std::to_string(i) + " variant " + std::to_string(variant));
      Case c(i * 10 + variant);
      const ConvGeometry& g = geometries[i];
      Node* first = conv(c, g, variant != 2);
      const int64_t maps = g.w[0];
      if (variant != 1) batch_norm(c, c.last().outputs[0], maps);
      Value* out = c.last().outputs[0];
      std::vector<int64_t> out_dims = first->outputs[0]->dims;
      if (variant == 0 || variant == 4) {  // a residual of Y's own shape (X's when the geometry keeps it)
        Tensor y = run_kernel(kernel("kiln.cpu_ref.Conv"), *first, c.feeds());
        c.node("Add", {out, c.input("residual", y.dims())}, {}, 14);
      }
      if (variant == 1) c.node("Add", {c.constant("channel_bias", {maps, 1, 1}), out}, {}, 14);
      out = c.last().outputs[0];
      if (variant == 0 || variant == 1) c.node("Relu", {out});
      if (variant == 2) c.node("Clip", {out}, {{"min", float_attr(-0.5f)}, {"max", float_attr(0.75f)}}, 6);
      if (variant == 3) c.node("HardSwish", {out});
      const std::unique_ptr<Node> fused = testing::fused_node(c.graph(), "ConvFused");
      expect_matches("kiln.cpu_fast.ConvFused", "kiln.cpu_ref.ConvFused", *fused, c.feeds());
    }
  }
}

// Horizontal fusion stacks sibling convolutions of one input into one node with one output per sibling.
TEST(CpuFastConvFused, StackedSiblingsMatchTheReference) {
  for (size_t i : {0, 3, 11}) {  // a 3x3, a pointwise and the large geometry (150 maps: a block edge at 144)
    SCOPED_TRACE("geometry " + std::to_string(i));
    const ConvGeometry g = conv_geometries()[i];
    const std::vector<int64_t> stack = i == 11 ? std::vector<int64_t>{64, 80, 6} : std::vector<int64_t>{1, g.w[0] - 1};
    Case c(i);
    conv(c, g, true);
    c.node("Relu", {c.last().outputs[0]});
    std::unique_ptr<Node> fused = testing::fused_node(c.graph(), "ConvFused");
    fused->attributes["kiln_stack"] = ints_attr(stack);
    fused->outputs.clear();
    for (size_t k = 0; k < stack.size(); ++k) fused->outputs.push_back(c.graph().add_value("sibling_" + std::to_string(k)));
    for (const char* name : {"kiln.cpu_fast.ConvFused", "kiln.cpu_ref.ConvFused"}) ASSERT_EQ(check_kernel(kernel(name), *fused), "") << name;
    const std::vector<Tensor> expected = testing::run_kernel_outputs(kernel("kiln.cpu_ref.ConvFused"), *fused, c.feeds(), stack.size());
    for (const char* isa : kIsas) {
      SCOPED_TRACE(std::string("isa ") + (*isa ? isa : "auto"));
      IsaScope scope(isa);
      const std::vector<Tensor> actual = testing::run_kernel_outputs(kernel("kiln.cpu_fast.ConvFused"), *fused, c.feeds(), stack.size());
      for (size_t k = 0; k < stack.size(); ++k) {
        ASSERT_EQ(actual[k].dims()[1], stack[k]);
        expect_close(actual[k], expected[k]);
      }
    }
  }
}

// ---- Gemm and MatMul ----

struct GemmCase {
  int64_t m, k, n;
  bool trans_a, trans_b, constant_b;
  std::vector<int64_t> c;  // C's dims; {-1}: no C
  float alpha, beta;
};

TEST(CpuFastGemm, TransposesAlphaBetaAndBroadcastC) {
  const std::vector<GemmCase> cases = {
      {5, 7, 3, false, false, true, {3}, 1.f, 1.f},
      {7, 5, 4, true, true, false, {7, 4}, 0.5f, -1.5f},
      {1, 512, 1000, false, true, true, {1000}, 1.f, 1.f},    // a classifier's fully connected layer
      {7, 300, 33, true, false, true, {7, 1}, 2.f, 0.25f},      // edge tiles in every direction
      {150, 20, 2100, false, false, false, {1, 2100}, 1.f, 1.f},
      {13, 17, 19, false, true, false, {}, 1.f, 3.f},           // a scalar C
      {6, 16, 16, false, false, true, {-1}, 0.7f, 1.f},         // no C
      {3, 0, 4, false, false, false, {4}, 1.f, 1.f},            // empty depth: Y = beta * C
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const GemmCase& g = cases[i];
    SCOPED_TRACE("case " + std::to_string(i));
    Case c(i);
    Value* a = c.input("a", g.trans_a ? std::vector<int64_t>{g.k, g.m} : std::vector<int64_t>{g.m, g.k});
    const std::vector<int64_t> b_dims = g.trans_b ? std::vector<int64_t>{g.n, g.k} : std::vector<int64_t>{g.k, g.n};
    std::vector<Value*> inputs = {a, g.constant_b ? c.weight("b", b_dims, g.k) : c.input("b", b_dims)};
    if (g.c != std::vector<int64_t>{-1}) inputs.push_back(c.constant("c", g.c));
    c.node("Gemm", inputs,
           {{"transA", int_attr(g.trans_a)}, {"transB", int_attr(g.trans_b)}, {"alpha", float_attr(g.alpha)}, {"beta", float_attr(g.beta)}},
           13);
    expect_matches("kiln.cpu_fast.Gemm", "kiln.cpu_ref.Gemm", c.last(), c.feeds());
  }
}

TEST(CpuFastMatMul, BatchesBroadcastAndVectors) {
  struct MatMulCase {
    std::vector<int64_t> a, b;
    bool constant_b;
  };
  const std::vector<MatMulCase> cases = {
      {{5, 7}, {7, 3}, false},
      {{2, 3, 5, 7}, {7, 9}, true},         // one B for the batch: folded into one product
      {{2, 1, 5, 7}, {3, 7, 4}, false},     // batch dims broadcast both ways
      {{2, 1, 5, 7}, {3, 7, 4}, true},      // ... with B packed per batch matrix
      {{7}, {7, 3}, true},                  // 1-D A
      {{4, 5, 7}, {7}, false},              // 1-D B
      {{1, 37, 300}, {300, 130}, true},     // a transformer-sized projection, edge tiles
      {{3, 9, 20}, {1, 20, 2100}, false},   // past kNC
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    Case c(i);
    const int64_t k = cases[i].b.size() == 1 ? cases[i].b[0] : cases[i].b[cases[i].b.size() - 2];
    c.node("MatMul", {c.input("a", cases[i].a), cases[i].constant_b ? c.weight("b", cases[i].b, k) : c.input("b", cases[i].b)}, {}, 13);
    expect_matches("kiln.cpu_fast.MatMul", "kiln.cpu_ref.MatMul", c.last(), c.feeds());
  }
}

TEST(CpuFastMaxPool, WindowsPadsStridesDilationsCeilMode) {
  const std::vector<std::pair<std::vector<int64_t>, Attrs>> cases = {
      {{2, 3, 9, 8}, {{"kernel_shape", ints_attr({3, 3})}, {"strides", ints_attr({2, 2})}}},
      {{1, 4, 14, 14}, {{"kernel_shape", ints_attr({3, 3})}, {"strides", ints_attr({2, 2})}, {"ceil_mode", int_attr(1)}}},  // GoogLeNet's
      {{1, 2, 7, 9}, {{"kernel_shape", ints_attr({3, 3})}, {"pads", ints_attr({1, 1, 1, 1})}}},                              // stride 1, padded
      {{1, 3, 10, 11}, {{"kernel_shape", ints_attr({2, 3})}, {"dilations", ints_attr({2, 1})}, {"pads", ints_attr({0, 2, 1, 0})}}},
      {{1, 1, 5, 6}, {{"kernel_shape", ints_attr({2, 2})}, {"strides", ints_attr({3, 2})}, {"auto_pad", string_attr("SAME_UPPER")}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    Case c(i);
    c.node("MaxPool", {c.input("x", cases[i].first)}, cases[i].second, 12);
    expect_matches("kiln.cpu_fast.MaxPool", "kiln.cpu_ref.MaxPool", c.last(), c.feeds(), 0);
  }
}

// ---- the plan state: serialize -> deserialize ----

// The bytes kernel k's prepared state for `node` serializes to.
std::vector<uint8_t> serialized(const kiln_kernel_desc& k, const Node& node) {
  void* state = nullptr;
  EXPECT_EQ(k.create(k.user_data, host_api(), to_handle(&node), &state), KILN_OK) << take_plugin_error();
  size_t size = 0;
  EXPECT_EQ(k.serialize(state, nullptr, 0, &size), KILN_OK);
  std::vector<uint8_t> bytes(size);
  size_t written = 0;
  EXPECT_EQ(k.serialize(state, bytes.data(), bytes.size(), &written), KILN_OK);
  EXPECT_EQ(written, size);
  k.destroy(state);
  return bytes;
}

// Serializes k's state for `node`, then zeroes every constant the node reads and runs the state read back from
// the bytes: it must compute exactly what the freshly created state computes, so nothing is packed again from the
// (now zeroed) weights when a plan loads.
void expect_round_trip(const std::string& name, Node& node, const std::map<std::string, Tensor>& feeds,
                       const std::vector<Value*>& constants) {
  const kiln_kernel_desc& k = kernel(name);
  ASSERT_TRUE(k.serialize && k.deserialize) << name << " does not serialize";
  const Tensor expected = run_kernel(k, node, feeds);
  const std::vector<uint8_t> bytes = serialized(k, node);
  ASSERT_GT(bytes.size(), 8u);
  for (Value* v : constants) std::memset(v->constant->data(), 0, v->constant->bytes());
  void* state = nullptr;
  ASSERT_EQ(k.deserialize(k.user_data, host_api(), to_handle(&node), bytes.data(), bytes.size(), &state), KILN_OK)
      << take_plugin_error();
  const Tensor y = poisoned_output(k, node);
  execute_kernel(k, state, node, feeds, y);
  k.destroy(state);
  ASSERT_EQ(std::memcmp(y.data(), expected.data(), expected.bytes()), 0) << name << ": the plan's state computes otherwise";
}

TEST(CpuFastPlanState, ConvGemmAndMatMulRoundTripWithoutTheWeights) {
  {
    Case c(1);
    conv(c, conv_geometries()[1], true);
    Node& node = c.last();
    expect_round_trip("kiln.cpu_fast.Conv", node, c.feeds(), {node.inputs[1], node.inputs[2]});
  }
  {
    Case c(2);
    conv(c, conv_geometries()[0], true);
    batch_norm(c, c.last().outputs[0], 4);
    c.node("Relu", {c.last().outputs[0]});
    std::unique_ptr<Node> fused = testing::fused_node(c.graph(), "ConvFused");
    expect_round_trip("kiln.cpu_fast.ConvFused", *fused, c.feeds(), {fused->inputs[1], fused->inputs[2], fused->inputs[3]});
  }
  {
    Case c(3);
    c.node("Gemm", {c.input("a", {3, 40}), c.weight("b", {21, 40}, 40), c.constant("c", {21})}, {{"transB", int_attr(1)}}, 13);
    Node& node = c.last();
    expect_round_trip("kiln.cpu_fast.Gemm", node, c.feeds(), {node.inputs[1]});
  }
  {
    Case c(4);
    c.node("MatMul", {c.input("a", {2, 3, 9}), c.weight("b", {2, 9, 17}, 9)}, {}, 13);
    Node& node = c.last();
    expect_round_trip("kiln.cpu_fast.MatMul", node, c.feeds(), {node.inputs[1]});
  }
}

TEST(CpuFastPlanState, DamagedStatesAreRefused) {
  Case c(5);
  conv(c, conv_geometries()[0], true);
  const Node& node = c.last();
  const kiln_kernel_desc& k = kernel("kiln.cpu_fast.Conv");
  const std::vector<uint8_t> bytes = serialized(k, node);
  auto refused = [&](std::vector<uint8_t> damaged, const std::string& expected) {
    void* state = nullptr;
    EXPECT_NE(k.deserialize(k.user_data, host_api(), to_handle(&node), damaged.data(), damaged.size(), &state), KILN_OK);
    const std::string message = take_plugin_error();
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    if (state) k.destroy(state);
  };
  refused(std::vector<uint8_t>(bytes.begin(), bytes.end() - 5), "cut short");
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  refused(longer, "1 bytes more");
  std::vector<uint8_t> other_tag = bytes;
  other_tag[0] = 'x';
  refused(other_tag, "not a kiln.cpu_fast state");
  std::vector<uint8_t> other_panels = bytes;
  other_panels[16] = 8;  // kMR, after the tag and the format version
  refused(other_panels, "another build");
}

// ---- what the fast kernels leave to the reference pack ----

TEST(CpuFastChecks, DeclineWithAReason) {
  auto reason = [](const std::string& name, const Node& node) { return check_kernel(kernel(name), node); };
  {
    Case c(6);
    c.node("Conv", {c.input("x", {1, 3, 8, 8}), c.input("w", {4, 3, 3, 3})});
    EXPECT_NE(reason("kiln.cpu_fast.Conv", c.last()).find("not a constant"), std::string::npos);
  }
  {
    Case c(7);
    c.node("Conv", {c.input("x", {1, 3, 10}), c.constant("w", {4, 3, 3})});
    EXPECT_NE(reason("kiln.cpu_fast.Conv", c.last()).find("2-D"), std::string::npos);
  }
  {
    Case c(8);
    c.node("Conv", {c.input("x", {1, 3, 8, 8}), c.constant("w", {4, 3, 3, 3}), c.input("b", {4})});
    EXPECT_NE(reason("kiln.cpu_fast.Conv", c.last()).find("not a constant"), std::string::npos);
  }
  {
    Case c(9);
    conv(c, conv_geometries()[1], true);  // two groups
    c.node("Relu", {c.last().outputs[0]});
    std::unique_ptr<Node> fused = testing::fused_node(c.graph(), "ConvFused");
    fused->attributes["kiln_stack"] = ints_attr({3, 3});
    EXPECT_NE(reason("kiln.cpu_fast.ConvFused", *fused).find("grouped convolutions do not stack"), std::string::npos);
  }
  {
    Case c(11);
    Node* pool = c.node("MaxPool", {c.input("x", {1, 3, 8, 8})}, {{"kernel_shape", ints_attr({2, 2})}}, 12);
    pool->outputs.push_back(c.graph().add_value("indices"));
    pool->outputs[1]->dtype = KILN_DTYPE_INT64;
    EXPECT_NE(reason("kiln.cpu_fast.MaxPool", c.last()).find("Indices"), std::string::npos);
  }
  {
    Case c(10);
    conv(c, conv_geometries()[0], true);
    c.node("Gelu", {c.last().outputs[0]}, {{"approximate", string_attr("cubic")}});
    std::unique_ptr<Node> fused = testing::fused_node(c.graph(), "ConvFused");
    EXPECT_NE(reason("kiln.cpu_fast.ConvFused", *fused).find("approximate"), std::string::npos);
  }
}

}  // namespace
}  // namespace kiln
