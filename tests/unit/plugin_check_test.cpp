// `kiln plugin check`'s parts (tools/kiln/check/): the comparison and its tolerances, dtype draws from what
// both kernels accept, seeded draws, and every case generator against the reference pack.
#include <gtest/gtest.h>

#include <cmath>

#include "case_context.hpp"
#include "case_generators.hpp"
#include "compare.hpp"
#include "plugin/plugin_registry.hpp"
#include "select/kernel_match.hpp"
#include "ir/element_values.hpp"

namespace kiln::check {
namespace {

Tensor floats(const std::vector<int64_t>& dims, const std::vector<double>& values,
              DataType dtype = KILN_DTYPE_FLOAT32) {
  Tensor t(dtype, dims);
  for (size_t i = 0; i < values.size(); ++i) set_element(t, static_cast<int64_t>(i), values[i]);
  return t;
}

TEST(PluginCheckCompare, EqualTensorsPassWithNoError) {
  const Tensor a = floats({2, 2}, {1, -2, 3.5, 0});
  const Comparison c = compare(a, a, tolerance_for(KILN_DTYPE_FLOAT32, false, 1));
  EXPECT_TRUE(c.ok);
  EXPECT_EQ(c.worst_abs, 0);
}

TEST(PluginCheckCompare, ReportsTheWorstElementBeyondTolerance) {
  const Tensor expected = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor close = floats({2, 3}, {1, 2, 3, 4, 5.0001, 6});
  EXPECT_TRUE(compare(close, expected, tolerance_for(KILN_DTYPE_FLOAT32, false, 1)).ok);  // 2e-5 relative
  const Tensor off = floats({2, 3}, {1, 2.01, 3, 4, 5.5, 6});
  const Comparison c = compare(off, expected, tolerance_for(KILN_DTYPE_FLOAT32, false, 1));
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(index_in(expected.dims(), c.worst_at), "[1,1]");
  EXPECT_NEAR(c.worst_abs, 0.5, 1e-6);
  EXPECT_NEAR(c.worst_rel, 0.1, 1e-6);
  EXPECT_EQ(c.actual, 5.5);
  EXPECT_EQ(c.expected, 5);
}

TEST(PluginCheckCompare, PoisonLeftInAnOutputFails) {
  Tensor poisoned(KILN_DTYPE_FLOAT32, {3});
  poisoned.fill_bytes(0xFF);  // NaN, as outputs are before execute
  const Tensor expected = floats({3}, {0, 1, 2});
  EXPECT_FALSE(compare(poisoned, expected, tolerance_for(KILN_DTYPE_FLOAT32, false, 1)).ok);
  const Tensor nan = floats({1}, {NAN});
  EXPECT_TRUE(compare(nan, nan, tolerance_for(KILN_DTYPE_FLOAT32, false, 1)).ok);  // NaN expected, NaN given
}

TEST(PluginCheckCompare, ShapeOrDtypeMismatchIsAProblemNotAnError) {
  const Comparison c =
      compare(floats({2}, {1, 2}), floats({1, 2}, {1, 2}), tolerance_for(KILN_DTYPE_FLOAT32, false, 1));
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.problem, "is float32[2], the reference's float32[1,2]");
}

TEST(PluginCheckCompare, IntegersAreExactExceptOneStepForQuantizedKernels) {
  const Tensor expected = floats({2}, {10, -3}, KILN_DTYPE_INT8), one_off = floats({2}, {11, -3}, KILN_DTYPE_INT8);
  EXPECT_FALSE(compare(one_off, expected, tolerance_for(KILN_DTYPE_INT8, false, 1)).ok);
  EXPECT_TRUE(compare(one_off, expected, tolerance_for(KILN_DTYPE_INT8, true, 1)).ok);
  EXPECT_FALSE(compare(floats({2}, {12, -3}, KILN_DTYPE_INT8), expected, tolerance_for(KILN_DTYPE_INT8, true, 1)).ok);
  EXPECT_EQ(tolerance_for(KILN_DTYPE_INT64, false, 4).describe(), "exact");
  EXPECT_EQ(tolerance_for(KILN_DTYPE_FLOAT16, false, 1).relative, 1e-2);
}

TEST(PluginCheckDraw, OneSeedOneDraw) {
  Draw a(case_seed(1, "k", 3)), b(case_seed(1, "k", 3));
  const Tensor x = a.tensor(KILN_DTYPE_FLOAT16, {4, 5}, -2, 2), y = b.tensor(KILN_DTYPE_FLOAT16, {4, 5}, -2, 2);
  EXPECT_TRUE(compare(x, y, Tolerance{}).ok);
  EXPECT_NE(case_seed(1, "k", 3), case_seed(1, "k", 4));
  EXPECT_NE(case_seed(1, "k", 3), case_seed(1, "j", 3));
  EXPECT_NE(case_seed(1, "k", 3), case_seed(2, "k", 3));
  Draw d(7);
  const Tensor ints = d.tensor(KILN_DTYPE_UINT8, {64}, -5, 5);  // clamped to the dtype's range
  for (int64_t i = 0; i < ints.numel(); ++i) EXPECT_LE(element_at(ints, i), 5);
}

TEST(PluginCheckContext, DrawsOnlyDtypesBothKernelsAccept) {
  Draw draw(3);
  const uint64_t f16 = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT16), f32 = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32);
  CaseContext ctx(draw, 13, {f16 | f32, f16}, {f16 | f32}, false);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(ctx.dtype({0, 1}, kFloats), KILN_DTYPE_FLOAT16);
  EXPECT_THROW(ctx.dtype({0}, KILN_DTYPES_SIGNED_INT), NoCase);
  EXPECT_EQ(ctx.maybe_empty({2, 3}), (std::vector<int64_t>{2, 3}));  // not an edge case
  CaseContext edge(draw, 13, {f32}, {f32}, true);
  const std::vector<int64_t> dims = edge.maybe_empty({2, 3, 4}, 1);
  EXPECT_EQ(dims[0], 2);
  EXPECT_EQ(dims[1] * dims[2], 0);
}

// Every generator draws cases the reference kernel for its op takes: a generator that drew nodes the
// reference declines would turn checks into SKIPs.
TEST(PluginCheckGenerators, TheReferencePackTakesEveryDrawnCase) {
  PluginRegistry registry;
  registry.load(std::string(KILN_PLUGIN_DIR) + "/libkiln_cpu_reference.so");
  int checked_ops = 0;
  for (const KernelEntry& entry : registry.kernels()) {
    const kiln_kernel_desc& k = *entry.desc;
    const CaseGenerator* generator = find_generator(k.domain, k.op_type);
    if (!generator || k.pattern_length > 0 || (k.flags & KILN_KERNEL_QUANTIZED)) continue;
    ++checked_ops;
    std::vector<uint64_t> inputs, outputs;
    for (int32_t i = 0; i <= k.num_input_specs; ++i)
      inputs.push_back(i < k.num_input_specs ? k.inputs[i].dtypes : k.inputs[k.num_input_specs - 1].dtypes);
    for (int32_t i = 0; i < k.num_output_specs; ++i) outputs.push_back(k.outputs[i].dtypes);
    for (int seed = 0; seed < 8; ++seed) {
      Draw draw(case_seed(0, k.name, seed));
      CaseContext ctx(draw, std::max(generator->opset_min, k.opset_min), inputs, outputs, seed == 1);
      const Case c = generator->make(ctx, k.op_type);
      const CaseGraph graph(c);
      EXPECT_EQ(io_mismatch(k, graph.node()), "") << k.name << ": " << c.describe();
      EXPECT_EQ(check_node(k, graph.node()).reason, "") << k.name << ": " << c.describe();
    }
  }
  EXPECT_GE(checked_ops, 60);
}

}  // namespace
}  // namespace kiln::check
