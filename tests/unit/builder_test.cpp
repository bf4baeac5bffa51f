// The builder on hand-built graphs: the arena it plans (smaller than one buffer per value, and never sharing
// bytes between values alive at once), a plan's round trip through the file format into an engine that computes
// the same bytes, and profile errors at their config location.
#include <gtest/gtest.h>

#include <cstring>
#include <unordered_map>

#include "builder/builder.hpp"
#include "builder/plan_export.hpp"
#include "pass_test_support.hpp"
#include "planfile/plan_file.hpp"
#include "runtime/engine.hpp"
#include "runtime/plan_import.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

using testing::GraphBuilder;
using testing::PassFixture;
using testing::random_floats;

constexpr size_t kChainValueBytes = 16 * 32 * 32 * sizeof(float);

// x -> Relu -> Sigmoid -> Tanh -> Abs -> Neg -> Exp -> y: five intermediates of one size, each read once.
std::unique_ptr<Graph> chain_graph() {
  GraphBuilder b;
  Value* v = b.input("x", {1, 16, 32, 32});
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "Abs", "Neg"}) v = b.op(op, {v}, std::string(op) + "_out");
  b.output(b.op("Exp", {v}, "y"));
  return b.take();
}

// Values alive across several layers: x -> a -> b -> c, d = c + a, e = |d|, f = e * b, y = -f; plus a second
// output read from the middle, so the arena holds values of different lifetimes and sizes.
std::unique_ptr<Graph> skip_graph() {
  GraphBuilder b;
  Value* x = b.input("x", {2, 8, 16, 16});
  Value* a = b.op("Relu", {x}, "a");
  Value* s = b.op("Sigmoid", {a}, "s");
  Value* c = b.op("Tanh", {s}, "c");
  Value* d = b.op("Add", {c, a}, "d");
  Value* e = b.op("Abs", {d}, "e");
  Value* pooled = b.op("GlobalAveragePool", {e}, "pooled");
  Value* f = b.op("Mul", {e, s}, "f");
  b.output(b.op("Neg", {f}, "y"));
  b.output(b.op("Relu", {pooled}, "z"));
  return b.take();
}

// Two convolution towers on one input, concatenated, then read by two layers: the concat may be eliminated (its
// inputs become views into its output), which the lifetime check must see through.
std::unique_ptr<Graph> concat_graph() {
  GraphBuilder b;
  Value* x = b.input("x", {1, 4, 10, 10});
  Value* left = b.op("Relu", {b.op("Conv", {x, b.constant("wl", random_floats({6, 4, 1, 1}, 21))}, "cl")}, "left");
  Value* right = b.op("Conv", {x, b.constant("wr", random_floats({2, 4, 1, 1}, 22))}, "right");
  Node* concat = b.node("Concat", {left, right}, {"cat"});
  concat->attributes["axis"].kind = KILN_ATTR_INT;
  concat->attributes["axis"].i = 1;
  Value* s = b.op("Sigmoid", {concat->outputs[0]}, "s");
  b.output(b.op("Add", {s, concat->outputs[0]}, "y"));
  return b.take();
}

// x -> Conv(w, bias) -> Relu -> {Sigmoid, Tanh} -> Add -> y, and a second output from the Tanh branch: weights
// in the plan, a fused layer with serialized state, two streams.
std::unique_ptr<Graph> conv_branch_graph() {
  GraphBuilder b;
  Value* x = b.input("x", {1, 3, 12, 12});
  Value* w = b.constant("w", random_floats({8, 3, 3, 3}, 11));
  Value* bias = b.constant("bias", random_floats({8}, 12));
  Value* conv = b.op("Conv", {x, w, bias}, "conv");
  Value* r = b.op("Relu", {conv}, "r");
  Value* s = b.op("Sigmoid", {r}, "s");
  Value* t = b.op("Tanh", {r}, "t");
  Value* u = b.op("Abs", {t}, "u");
  b.output(b.op("Add", {s, u}, "y"));
  b.output(b.op("Neg", {t}, "z"));
  return b.take();
}

// Layer index of each value's producer and last reader, in execution order (single stream).
struct Lifetime {
  int first = -1, last = -1;
};

std::vector<Lifetime> lifetimes(const EnginePlan& plan) {
  std::unordered_map<const Node*, int> layer_of;
  for (size_t i = 0; i < plan.layers.size(); ++i) layer_of[plan.layers[i].node] = static_cast<int>(i);
  std::vector<Lifetime> out;
  for (const auto& v : plan.graph->values()) {
    Lifetime life;
    if (v->producer) life.first = life.last = layer_of.at(v->producer);
    for (const Node* consumer : v->consumers) life.last = std::max(life.last, layer_of.at(consumer));
    out.push_back(life);
  }
  // A view's producer writes into the value it is part of (an eliminated concat's output): that value's bytes
  // are in use from then on.
  for (size_t i = 0; i < plan.slots.size(); ++i) {
    const int target = plan.slots[i].view_of;
    if (target < 0 || out[i].first < 0) continue;
    Lifetime& t = out[static_cast<size_t>(target)];
    t.first = t.first < 0 ? out[i].first : std::min(t.first, out[i].first);
  }
  return out;
}

// The producer of value j works in place over value i (KILN_KERNEL_INPLACE_0): same bytes, and that layer is
// i's last reader, so the two meet only inside it.
bool in_place_pair(const Lifetime& i, const Lifetime& j, const ValueSlot& a, const ValueSlot& b) {
  return a.offset == b.offset && j.first == i.last;
}

// Every pair of arena values alive at one layer lies in disjoint bytes, but for an in-place pair. (A view lies
// inside the value it is part of, whose lifetime `lifetimes` widens to cover it.)
void expect_no_live_overlap(const EnginePlan& plan) {
  const std::vector<Lifetime> life = lifetimes(plan);
  const auto& values = plan.graph->values();
  size_t in_arena = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const ValueSlot& a = plan.slots[i];
    if (a.home != ValueHome::Arena) continue;
    ++in_arena;
    EXPECT_LE(a.offset + a.bytes, plan.arena_bytes) << values[i]->name;
    EXPECT_GE(a.bytes, values[i]->dtype == KILN_DTYPE_FLOAT32 ? size_t{4} : size_t{1}) << values[i]->name;
    for (size_t j = i + 1; j < values.size(); ++j) {
      const ValueSlot& b = plan.slots[j];
      if (b.home != ValueHome::Arena) continue;
      if (in_place_pair(life[i], life[j], a, b) || in_place_pair(life[j], life[i], b, a)) continue;
      const bool alive_together = life[i].first <= life[j].last && life[j].first <= life[i].last;
      const bool share_bytes = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      EXPECT_FALSE(alive_together && share_bytes)
          << values[i]->name << " (layers " << life[i].first << ".." << life[i].last << ", bytes " << a.offset
          << "+" << a.bytes << ") and " << values[j]->name << " (layers " << life[j].first << ".." << life[j].last
          << ", bytes " << b.offset << "+" << b.bytes << ")";
    }
  }
  EXPECT_GT(in_arena, 0u);
}

void expect_same_bytes(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    const Tensor& u = b.at(name);
    ASSERT_EQ(t.dtype(), u.dtype()) << name;
    ASSERT_EQ(t.dims(), u.dims()) << name;
    EXPECT_EQ(std::memcmp(t.data(), u.data(), t.bytes()), 0) << name << " differs";
  }
}

TEST(Builder, ChainArenaIsSmallerThanOneBufferPerValue) {
  PassFixture f;
  EnginePlan plan = build_engine_plan(chain_graph(), f.registry, f.config);
  Engine engine(std::move(plan));  // owns the kernel states from here
  const EnginePlan& p = engine.plan();
  EXPECT_EQ(p.naive_bytes, 5 * kChainValueBytes);  // the five intermediates; y is the caller's
  EXPECT_LT(p.arena_bytes, p.naive_bytes);
  EXPECT_LE(p.arena_bytes, 2 * kChainValueBytes);  // a chain needs at most the two values alive at once
  expect_no_live_overlap(p);
}

TEST(Builder, ArenaValuesAliveTogetherNeverShareBytes) {
  PassFixture f;
  const struct {
    std::unique_ptr<Graph> (*graph)();
    std::vector<int64_t> input;
  } cases[] = {{skip_graph, {2, 8, 16, 16}}, {concat_graph, {1, 4, 10, 10}}};
  for (const auto& c : cases) {
    Engine engine(build_engine_plan(c.graph(), f.registry, f.config));
    expect_no_live_overlap(engine.plan());
    size_t views = 0;
    for (const ValueSlot& slot : engine.plan().slots) views += slot.view_of >= 0;
    if (c.graph == concat_graph) {
      EXPECT_EQ(views, 2u) << "the concat was not eliminated: nothing tests views";
    }
    EXPECT_LT(engine.plan().arena_bytes, engine.plan().naive_bytes);
    // And the arena gives the right numbers: the same graph with every intermediate on the heap agrees.
    EnginePlan heap = build_engine_plan(c.graph(), f.registry, f.config);
    for (ValueSlot& slot : heap.slots)
      if (slot.home == ValueHome::Arena || slot.view_of >= 0) slot = ValueSlot{};
    heap.arena_bytes = 0;
    Engine unplanned(std::move(heap));
    const std::map<std::string, Tensor> inputs = {{"x", random_floats(c.input, 3)}};
    expect_same_bytes(engine.run(inputs), unplanned.run(inputs));
  }
}

TEST(Builder, PlanFileRoundTripComputesTheSameBytes) {
  PassFixture f;
  f.config.streams = 2;
  Engine original(build_engine_plan(conv_branch_graph(), f.registry, f.config), EngineOptions{true});
  ASSERT_EQ(original.plan().schedule.num_streams, 2);

  const std::string bytes = serialize_plan(export_plan(original.plan(), {{"test", "round trip"}}));
  const PlanContents contents = parse_plan(bytes, "roundtrip.plan");
  EXPECT_EQ(contents.build_info.at("test"), "round trip");
  EXPECT_EQ(serialize_plan(contents), bytes);  // nothing lost or reordered by the reader

  PluginRegistry registry;  // a fresh process's: the plan loads the plugins it names
  Engine restored(import_plan(contents, registry, "roundtrip.plan"), EngineOptions{true});
  ASSERT_EQ(restored.layers().size(), original.layers().size());
  EXPECT_EQ(restored.plan().arena_bytes, original.plan().arena_bytes);
  EXPECT_EQ(restored.plan().schedule.num_streams, original.plan().schedule.num_streams);
  EXPECT_EQ(restored.plan().schedule.waits.size(), original.plan().schedule.waits.size());
  for (size_t i = 0; i < original.layers().size(); ++i)
    EXPECT_STREQ(restored.layers()[i].selection.chosen->desc->name, original.layers()[i].selection.chosen->desc->name);

  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const std::map<std::string, Tensor> inputs = {{"x", random_floats({1, 3, 12, 12}, seed)}};
    expect_same_bytes(original.run(inputs), restored.run(inputs));
  }
}

TEST(Builder, ProfileNamingANonInputIsAnErrorAtItsConfigLocation) {
  PassFixture f;
  const BuildConfig config = parse_build_config(
      "plugins: [kiln_cpu_reference]\nprofile:\n  image: {min: [1, 16, 32, 32], max: [4, 16, 32, 32]}\n", "my.yaml");
  try {
    build_engine_plan(chain_graph(), f.registry, config);
    FAIL() << "a profile for 'image' was accepted";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("my.yaml:3:10: the profile names 'image', which is not an input"), std::string::npos)
        << message;
    EXPECT_NE(message.find("its inputs: x"), std::string::npos) << message;
  }
}

TEST(Builder, ProfileRangesABatchAndRefusesShapesOutsideIt) {
  PassFixture f;
  GraphBuilder b;
  Value* x = b.input("x", {-1, 8});
  b.output(b.op("Tanh", {b.op("Relu", {x}, "r")}, "y"));
  BuildConfig config = parse_build_config(
      "plugins: [kiln_cpu_reference]\nprofile:\n  x: {min: [1, 8], opt: [2, 8], max: [4, 8]}\n", "my.yaml");
  Engine engine(build_engine_plan(b.take(), f.registry, config));
  EXPECT_EQ(engine.plan().naive_bytes, 4 * 8 * sizeof(float));  // 'r' at the largest batch
  for (int64_t batch : {1, 3, 4}) EXPECT_EQ(engine.run({{"x", random_floats({batch, 8}, 1)}}).at("y").dims()[0], batch);
  try {
    engine.run({{"x", random_floats({5, 8}, 1)}});
    FAIL() << "batch 5 ran";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("outside the profile"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kiln
