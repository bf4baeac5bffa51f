// `kiln plugin check`'s parts (tools/kiln/check/): the comparison and its tolerances, dtype draws from what
// both kernels accept, seeded draws, NHWC storage, quantization grids, and every case generator (float and INT8) against the
// reference pack.
#include <gtest/gtest.h>

#include <cmath>

#include "case_context.hpp"
#include "case_generators.hpp"
#include "compare.hpp"
#include "kernel_checker.hpp"
#include "quantize_case.hpp"
#include "stored_layout.hpp"
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

// An INT8 kernel's float output: its error follows the size of the terms summed, so a small element of a large
// output may be off by what the large ones allow.
TEST(PluginCheckCompare, Int8FloatOutputsToleranceFollowsTheLargestValue) {
  const Tensor expected = floats({2}, {100, 0.001}), near = floats({2}, {100, 0.004});
  Tolerance t = tolerance_for(KILN_DTYPE_FLOAT32, true, 1);
  EXPECT_FALSE(compare(near, expected, t).ok);
  t.floor = 100;
  EXPECT_TRUE(compare(near, expected, t).ok);
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

// A value stored NHWC keeps its logical dims and values; its bytes are channels-last.
TEST(PluginCheckLayout, StoredNhwcIsChannelsLastWithTheSameValues) {
  Draw d(3);
  const Tensor dense = d.tensor(KILN_DTYPE_INT8, {2, 3, 2, 4}, -128, 127);
  const Tensor nhwc = stored_as(dense, KILN_LAYOUT_NHWC);
  EXPECT_EQ(nhwc.layout(), KILN_LAYOUT_NHWC);
  EXPECT_EQ(nhwc.strides(), (std::vector<int64_t>{24, 1, 12, 3}));
  EXPECT_EQ(static_cast<const int8_t*>(nhwc.data())[1], static_cast<const int8_t*>(dense.data())[8]);  // (0,1,0,0)
  EXPECT_TRUE(compare(dense_copy(nhwc), dense, Tolerance{}).ok);
  EXPECT_EQ(stored_as(dense, KILN_LAYOUT_LINEAR).layout(), KILN_LAYOUT_LINEAR);
  EXPECT_EQ(poisoned_as(OutputShape{KILN_DTYPE_FLOAT32, {1, 2, 3, 3}}, KILN_LAYOUT_NHWC).strides(),
            (std::vector<int64_t>{18, 1, 6, 2}));
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
    for (int32_t i = 0; i <= k.num_input_specs; ++i)  // (Constant has no inputs)
      inputs.push_back(i < k.num_input_specs ? k.inputs[i].dtypes : i > 0 ? k.inputs[i - 1].dtypes : 0);
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

// Weights put on a grid hold exactly (q - zero) * scale: a kernel recovers q by dividing and rounding.
TEST(PluginCheckQuantize, WeightsOnAGridGiveTheirIntegersBack) {
  for (uint64_t seed = 0; seed < 12; ++seed) {
    Draw d(seed);
    CaseInput w{"W", d.tensor(KILN_DTYPE_FLOAT32, {4, 3, 2}, -1, 1), true, false, std::nullopt};
    put_on_grid(w, 0, d);
    ASSERT_TRUE(w.quant.has_value());
    const Quantization& q = *w.quant;
    for (int64_t i = 0; i < w.data.numel(); ++i) {
      const size_t c = q.per_tensor() ? 0 : static_cast<size_t>(i / 6);
      const double integer = element_at(w.data, i) / q.scales[c];
      EXPECT_NEAR(integer, std::nearbyint(integer), 1e-4) << q.describe();
      EXPECT_LE(std::abs(std::nearbyint(integer)), 127);
    }
  }
}

// An output grid fitted to the reals: they map into the integers, the largest at the edge or just beyond.
TEST(PluginCheckQuantize, OutputGridCoversTheReals) {
  const Tensor reals = floats({4}, {-3, 0.5, 2, 6});
  for (DataType dtype : {KILN_DTYPE_INT8, KILN_DTYPE_UINT8})
    for (uint64_t seed = 0; seed < 8; ++seed) {
      Draw d(seed);
      const Quantization q = output_grid(reals, dtype, d);
      const Tensor ints = quantize_values(reals, q);
      const double top = dtype == KILN_DTYPE_UINT8 ? 255 : 127;
      EXPECT_GE(element_at(ints, 3), top - 40) << q.describe();  // 6 is near the top, not squeezed into a few steps
      EXPECT_LT(element_at(ints, 0), element_at(ints, 1));
    }
}

// A pass-through case: every integer input and the output on one grid, the integers spread over the dtype.
TEST(PluginCheckQuantize, SharedGridCoversInputsAndOutput) {
  Draw d(5);
  Case c;
  c.input("X", d.tensor(KILN_DTYPE_INT8, {64}, -2, 2)).input("Y", d.tensor(KILN_DTYPE_INT8, {3}, -2, 2));
  c.constant("axes", floats({1}, {0}, KILN_DTYPE_INT64));
  ASSERT_TRUE(share_one_grid(c, d));
  EXPECT_EQ(c.inputs[0].quant, c.inputs[1].quant);
  EXPECT_FALSE(c.inputs[2].quant.has_value());
  EXPECT_EQ(c.output_dtype, KILN_DTYPE_INT8);
  EXPECT_EQ(c.output_quant, c.inputs[0].quant);
  EXPECT_GT(max_magnitude(c.inputs[0].data), 60);
}

// The INT8 generators draw cases the reference's INT8 kernels take, with float and integer outputs alike.
TEST(PluginCheckGenerators, TheReferenceInt8KernelsTakeEveryDrawnCase) {
  PluginRegistry registry;
  registry.load(std::string(KILN_PLUGIN_DIR) + "/libkiln_cpu_reference.so");
  int checked = 0;
  for (const KernelEntry& entry : registry.kernels()) {
    const kiln_kernel_desc& k = *entry.desc;
    const CaseGenerator* generator = find_int8_generator(k.domain, k.op_type);
    if (!generator || k.pattern_length > 0 || !(k.flags & KILN_KERNEL_QUANTIZED)) continue;
    ++checked;
    for (int seed = 0; seed < 8; ++seed) {
      Draw draw(case_seed(0, k.name, seed));
      CaseContext ctx(draw, 13, {k.inputs[0].dtypes, k.inputs[1].dtypes}, {k.outputs[0].dtypes}, seed == 1);
      Case c = generator->make(ctx, k.op_type);
      c.output_dtype = seed % 2 ? KILN_DTYPE_FLOAT32 : KILN_DTYPE_INT8;
      if (c.output_dtype == KILN_DTYPE_INT8) c.output_quant = Quantization::per_tensor(0.05f);
      const CaseGraph graph(c);
      EXPECT_EQ(io_mismatch(k, graph.node()), "") << k.name << ": " << c.describe();
      EXPECT_EQ(check_node(k, graph.node()).reason, "") << k.name << ": " << c.describe();
    }
  }
  EXPECT_EQ(checked, 3);  // Conv, Gemm, MatMul
}

// The reference checked against itself passes its INT8 kernels, plain and fused, and its pass-through ones on a
// shared grid: the oracle agrees with itself, so the INT8 draws, runs and comparisons hold together.
TEST(PluginCheckInt8, TheReferencePassesItsInt8Kernels) {
  PluginRegistry registry;
  registry.load(std::string(KILN_PLUGIN_DIR) + "/libkiln_cpu_reference.so");
  CheckOptions options;
  options.cases = 12;
  const KernelChecker checker(registry, options);
  int int8 = 0;
  for (const KernelEntry& entry : registry.kernels()) {
    if (!(entry.desc->flags & (KILN_KERNEL_QUANTIZED | KILN_KERNEL_QUANT_PASSTHROUGH))) continue;
    const KernelReport report = checker.check(entry);
    EXPECT_EQ(report.status, KernelReport::Pass) << report.kernel << ": " << report.detail;
    ++int8;
  }
  EXPECT_GE(int8, 14);  // 6 INT8, 8 pass-through
}

}  // namespace
}  // namespace kiln::check
