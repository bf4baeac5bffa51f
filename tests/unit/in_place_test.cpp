// In-place reuse: a kernel that declares KILN_KERNEL_INPLACE_0 (the reference pack's unary elementwise ops) gets
// its output 0 planned over input 0 when nothing reads that input later, and the results stay exact.
#include <gtest/gtest.h>

#include <cmath>

#include "builder/builder.hpp"
#include "pass_test_support.hpp"
#include "runtime/engine.hpp"

namespace kiln {
namespace {

using testing::GraphBuilder;
using testing::PassFixture;
using testing::random_floats;

TEST(InPlace, AUnaryChainReusesOneBufferAndComputesTheSame) {
  GraphBuilder b;
  Value* x = b.input("x", {3, 7});
  Value* e = b.op("Exp", {x}, "e");          // reads a graph input: cannot overwrite it
  Value* s = b.op("Sigmoid", {e}, "s");      // may overwrite e
  Value* n = b.op("Neg", {s}, "n");          // may overwrite s
  b.output(b.op("Add", {n, e}, "y"));       // but e is read here too: s must not overwrite e
  PassFixture f;
  Engine engine(build_engine_plan(b.take(), f.registry, f.config), EngineOptions{true});
  const auto& values = engine.graph().values();
  auto slot = [&](const std::string& name) {
    for (size_t i = 0; i < values.size(); ++i)
      if (values[i]->name == name) return engine.plan().slots[i];
    return ValueSlot{};
  };
  ASSERT_EQ(slot("s").home, ValueHome::Arena);
  EXPECT_NE(slot("s").offset, slot("e").offset);  // e is still needed by the Add
  EXPECT_EQ(slot("n").offset, slot("s").offset);  // Neg wrote over Sigmoid's output

  const Tensor input = random_floats({3, 7}, 5);
  const Tensor y = engine.run({{"x", input}}).at("y");
  for (int64_t i = 0; i < input.numel(); ++i) {
    const double ex = std::exp(static_cast<double>(input.as<float>()[i]));
    const double expected = -1.0 / (1.0 + std::exp(-ex)) + ex;
    EXPECT_NEAR(y.as<float>()[i], expected, 1e-5 * (1 + std::fabs(expected))) << i;
  }
}

}  // namespace
}  // namespace kiln
