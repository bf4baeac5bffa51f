// Which INT8 nodes the CUDA kernels take, and why they decline the others: their io specs, flags and checks as
// the builder's selector sees them after the builder's passes (pattern fusion). Checks run on the host, so these
// tests need the CUDA pack to load but no GPU: they run wherever the pack was built.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "case_builder.hpp"
#include "gpu_test_support.hpp"
#include "int8_cases.hpp"
#include "passes/pass_manager.hpp"
#include "plugin/kernel_flags.hpp"

namespace kiln::cuda_test {
namespace {

// Fails when the packs are broken; skips only when the CUDA pack cannot load its libraries (no GPU is needed).
#define KILN_REQUIRE_CUDA_PACK()                                                                                \
  do {                                                                                                          \
    const ::kiln::cuda_test::GpuSetup& pack_setup = ::kiln::cuda_test::setup();                                 \
    if (!pack_setup.error.empty()) FAIL() << pack_setup.error;                                                  \
    if (pack_setup.skip_reason.find("cannot load") != std::string::npos) GTEST_SKIP() << pack_setup.skip_reason; \
  } while (0)

using int8::grid;

// The CUDA INT8 convolutions: a chain no kernel accepts is not fused, so its Conv meets the lone-Conv kernel.
const std::set<std::string> kInt8Convs = {"kiln.cuda.ConvFusedInt8", "kiln.cuda.ConvInt8", "kiln.cuda.ConvFusedInt8FirstLayer",
                                          "kiln.cuda.ConvInt8FirstLayer"};

// The graph after the builder's passes, with the selector's verdict on each node.
class Selections {
 public:
  explicit Selections(const std::function<void(CaseBuilder&)>& build) : config_(gpu_config("fp32")) {
    CaseBuilder b(1, false);
    build(b);
    graph_ = b.finish();
    const KernelSelector selector(setup().gpu, config_), host(setup().gpu, config_, KILN_DEVICE_CPU);
    run_default_passes(*graph_, PassContext{setup().gpu, config_, selector, host});
    for (Node* node : graph_->topological_order()) verdicts_.push_back({node, selector.select(*node)});
  }

  // The kernel chosen for the (first) node of `op_type`, "(none)" when none accepts it.
  std::string chosen(const std::string& op_type) const {
    for (const auto& [node, selection] : verdicts_)
      if (node->op_type == op_type) return selection.chosen ? selection.chosen->desc->name : "(none)";
    return "(no " + op_type + " node)";
  }
  // The pattern length of the node `kernel` was chosen for (0: not chosen anywhere).
  size_t steps_of(const std::string& kernel) const {
    for (const auto& [node, selection] : verdicts_)
      if (selection.chosen && kernel == selection.chosen->desc->name) return node->pattern.empty() ? 1 : node->pattern.size();
    return 0;
  }
  // Every reason the kernels named gave for declining a node, joined.
  std::string reasons(const std::set<std::string>& kernels) const {
    std::string all;
    for (const auto& verdict : verdicts_)
      for (const Decline& d : verdict.second.declined)
        if (kernels.count(d.kernel)) all += d.kernel + ": " + d.reason + "\n";
    return all;
  }
  std::string describe() const {
    std::ostringstream out;
    for (const auto& [node, selection] : verdicts_) {
      out << "  " << node->label() << " -> " << (selection.chosen ? selection.chosen->desc->name : "(none)") << "\n";
      for (const Decline& d : selection.declined) out << "      declined " << d.kernel << ": " << d.reason << "\n";
    }
    return out.str();
  }

 private:
  BuildConfig config_;
  std::unique_ptr<Graph> graph_;
  std::vector<std::pair<Node*, Selection>> verdicts_;
};

// Conv [-> BatchNormalization] -> Relu on int8 X of grid `x`, W [K, C, k, k], int8 Y.
void conv_chain(CaseBuilder& b, const Quantization& x, std::vector<int64_t> x_dims, std::vector<int64_t> w_dims, bool bn,
                Attrs attrs = {}) {
  attrs["kernel_shape"] = ints_attr({w_dims[2], w_dims[3]});
  const int64_t k = w_dims[0], fan_in = w_dims[1] * w_dims[2] * w_dims[3];
  Value* y = b.op("Conv", {b.quantized_input("x", std::move(x_dims), x), b.scaled_weight("w", std::move(w_dims), fan_in)}, attrs, 11);
  if (bn) y = int8::batch_norm(b, y, k);
  b.quantized(b.op("Relu", {y}, {}, 14), int8::y_grid());
}

TEST(CudaInt8Selection, ConvChainsRunOnConvFusedInt8) {
  KILN_REQUIRE_CUDA_PACK();
  const Selections resnet([](CaseBuilder& b) { conv_chain(b, int8::x_grid(), {1, 64, 8, 8}, {64, 64, 3, 3}, true, {{"pads", ints_attr({1, 1, 1, 1})}}); });
  EXPECT_EQ(resnet.chosen("ConvFused"), "kiln.cuda.ConvFusedInt8") << resnet.describe();
  EXPECT_EQ(resnet.steps_of("kiln.cuda.ConvFusedInt8"), 3u) << resnet.describe();
  // A window as wide as the stem's, on 16 channels (fewer are declined: ConvDeclinesWhatCudnnCannotRun).
  const Selections stem([](CaseBuilder& b) { conv_chain(b, int8::x_grid(), {1, 16, 32, 32}, {64, 16, 7, 7}, true, {{"strides", ints_attr({2, 2})}}); });
  EXPECT_EQ(stem.chosen("ConvFused"), "kiln.cuda.ConvFusedInt8") << stem.describe();
}

TEST(CudaInt8Selection, ALoneConvRunsOnConvInt8) {
  KILN_REQUIRE_CUDA_PACK();
  const Selections lone([](CaseBuilder& b) {
    b.quantized(b.op("Conv", {b.quantized_input("x", {1, 32, 8, 8}, int8::x_grid()), b.scaled_weight("w", {16, 32, 1, 1}, 32)},
                     {{"kernel_shape", ints_attr({1, 1})}}, 11),
                int8::y_grid());
  });
  EXPECT_EQ(lone.chosen("Conv"), "kiln.cuda.ConvInt8") << lone.describe();
}

TEST(CudaInt8Selection, ConvDeclinesWhatCudnnCannotRun) {
  KILN_REQUIRE_CUDA_PACK();
  const Selections asymmetric([](CaseBuilder& b) { conv_chain(b, grid(0.02f, 5), {1, 16, 8, 8}, {16, 16, 1, 1}, false); });
  EXPECT_NE(asymmetric.reasons(kInt8Convs).find("zero point is 5"), std::string::npos) << asymmetric.describe();
  EXPECT_NE(asymmetric.chosen("ConvFused"), "kiln.cuda.ConvFusedInt8") << asymmetric.describe();

  const Selections grouped([](CaseBuilder& b) {
    conv_chain(b, int8::x_grid(), {1, 16, 8, 8}, {16, 4, 3, 3}, false, {{"group", int_attr(4)}, {"pads", ints_attr({1, 1, 1, 1})}});
  });
  EXPECT_NE(grouped.reasons(kInt8Convs).find("grouped"), std::string::npos) << grouped.describe();

  const Selections per_axis_x([](CaseBuilder& b) {
    Quantization q = grid(0.02f);
    q.axis = 1;
    q.scales.assign(16, 0.02f);
    q.zero_points.assign(16, 0);
    conv_chain(b, q, {1, 16, 8, 8}, {16, 16, 1, 1}, false);
  });
  EXPECT_NE(per_axis_x.reasons(kInt8Convs).find("per-tensor"), std::string::npos) << per_axis_x.describe();

  // W's own parameters with zero points (no BatchNormalization to re-quantize it): cuDNN has no weight zero point.
  const Selections w_zero([](CaseBuilder& b) {
    Value* w = b.grid_weight("w", {16, 16, 1, 1}, std::vector<float>(16, 0.01f));
    w->quant->zero_points.assign(16, 3);
    Value* y = b.op("Conv", {b.quantized_input("x", {1, 16, 8, 8}, int8::x_grid()), w}, {{"kernel_shape", ints_attr({1, 1})}}, 11);
    b.quantized(b.op("Relu", {y}, {}, 14), int8::y_grid());
  });
  EXPECT_NE(w_zero.reasons(kInt8Convs).find("zero points"), std::string::npos) << w_zero.describe();

  // A 3-channel layer of stride 1: cuDNN's int8 engines measured slower than the whole FP16 network on such
  // layers, and the space-to-depth first layer takes stride 2 only.
  const Selections stem([](CaseBuilder& b) { conv_chain(b, int8::x_grid(), {1, 3, 16, 16}, {16, 3, 3, 3}, false); });
  EXPECT_NE(stem.reasons(kInt8Convs).find("fewer than 16 input channels (3)"), std::string::npos) << stem.describe();
  EXPECT_NE(stem.reasons(kInt8Convs).find("strides other than 2x2"), std::string::npos) << stem.describe();
}

TEST(CudaInt8Selection, AFewChannelStrideTwoFirstLayerRunsInt8OnlyWithInt8Y) {
  KILN_REQUIRE_CUDA_PACK();
  const Attrs stride2 = {{"strides", ints_attr({2, 2})}, {"pads", ints_attr({3, 3, 3, 3})}};
  const Selections stem([&](CaseBuilder& b) { conv_chain(b, int8::x_grid(), {1, 3, 32, 32}, {64, 3, 7, 7}, false, stride2); });
  EXPECT_EQ(stem.chosen("ConvFused"), "kiln.cuda.ConvFusedInt8FirstLayer") << stem.describe();
  EXPECT_NE(stem.reasons(kInt8Convs).find("fewer than 16 input channels (3)"), std::string::npos) << stem.describe();

  // Output channels the kernel cannot write 8 at a time.
  const Selections odd_k([&](CaseBuilder& b) { conv_chain(b, int8::x_grid(), {1, 3, 32, 32}, {20, 3, 7, 7}, false, stride2); });
  EXPECT_NE(odd_k.reasons(kInt8Convs).find("20 output channels, not a multiple of 8"), std::string::npos) << odd_k.describe();

  // Reals out (an INT8 layer before float readers): the packed path writes int8 only.
  const Selections float_y([&](CaseBuilder& b) {
    Value* y = b.op("Conv", {b.quantized_input("x", {1, 3, 32, 32}, int8::x_grid()), b.scaled_weight("w", {64, 3, 7, 7}, 147)},
                    {{"kernel_shape", ints_attr({7, 7})}, {"strides", ints_attr({2, 2})}, {"pads", ints_attr({3, 3, 3, 3})}}, 11, "y");
    y->dtype = KILN_DTYPE_FLOAT32;
    b.output(y);
  });
  EXPECT_NE(float_y.reasons(kInt8Convs).find("symmetric int8 Y only"), std::string::npos) << float_y.describe();
}

TEST(CudaInt8Selection, ProductsOnInt8RunOnKilnsKernel) {
  KILN_REQUIRE_CUDA_PACK();
  const Selections gemm([](CaseBuilder& b) {
    b.quantized(b.op("Gemm", {b.quantized_input("a", {4, 64}, int8::x_grid()), b.scaled_weight("b", {32, 64}, 64)},
                     {{"transB", int_attr(1)}}, 13),
                int8::y_grid());
  });
  EXPECT_EQ(gemm.chosen("Gemm"), "kiln.cuda.GemmInt8") << gemm.describe();
  const Selections matmul([](CaseBuilder& b) {
    b.quantized(b.op("MatMul", {b.quantized_input("a", {2, 4, 32}, int8::x_grid()), b.scaled_weight("b", {32, 16}, 32)}, {}, 13),
                int8::y_grid());
  });
  EXPECT_EQ(matmul.chosen("MatMul"), "kiln.cuda.MatMulInt8") << matmul.describe();
  // K not in 16s: A's rows would not start on 16-byte boundaries.
  const Selections odd_k([](CaseBuilder& b) {
    b.quantized(b.op("MatMul", {b.quantized_input("a", {4, 20}, int8::x_grid()), b.scaled_weight("b", {20, 16}, 20)}, {}, 13),
                int8::y_grid());
  });
  const std::set<std::string> products = {"kiln.cuda.MatMulInt8"};
  EXPECT_NE(odd_k.reasons(products).find("K = 20 is not a positive multiple of 16"), std::string::npos) << odd_k.describe();
}

TEST(CudaInt8Selection, ConcatMovesIntegersOnlyOnOneGrid) {
  KILN_REQUIRE_CUDA_PACK();
  const Quantization q = int8::x_grid();
  const Selections same([q](CaseBuilder& b) {
    b.quantized(b.op("Concat", {b.quantized_input("a", {1, 8, 4, 4}, q), b.quantized_input("b", {1, 8, 4, 4}, q)}, {{"axis", int_attr(1)}}), q);
  });
  EXPECT_EQ(same.chosen("Concat"), "kiln.cuda.Concat") << same.describe();
  const Selections mixed([q](CaseBuilder& b) {
    b.quantized(b.op("Concat", {b.quantized_input("a", {1, 8, 4, 4}, q), b.quantized_input("b", {1, 8, 4, 4}, grid(0.05f))},
                     {{"axis", int_attr(1)}}), q);
  });
  EXPECT_NE(mixed.reasons({"kiln.cuda.Concat"}).find("one integer grid"), std::string::npos) << mixed.describe();
}

// A classifier's input (an INT8 pool's integers, flattened for the INT8 Gemm) stays integer through the shape ops.
TEST(CudaInt8Selection, ShapeOpsMoveIntegersOnlyOnOneGridPerTensor) {
  KILN_REQUIRE_CUDA_PACK();
  const Quantization q = int8::x_grid();
  const auto flatten = [](const Quantization& x, const Quantization& y) {
    return [x, y](CaseBuilder& b) { b.quantized(b.op("Flatten", {b.quantized_input("x", {2, 64, 1, 1}, x)}, {}, 13), y); };
  };
  const Selections same(flatten(q, q));
  EXPECT_EQ(same.chosen("Flatten"), "kiln.cuda.Flatten") << same.describe();
  const Selections other(flatten(q, grid(0.05f)));
  EXPECT_NE(other.reasons({"kiln.cuda.Flatten"}).find("reshaped only on one integer grid"), std::string::npos) << other.describe();
  Quantization per_channel = q;
  per_channel.axis = 1;
  per_channel.scales.assign(64, 0.02f);
  per_channel.zero_points.assign(64, 0);
  const Selections per_axis(flatten(per_channel, per_channel));
  EXPECT_NE(per_axis.reasons({"kiln.cuda.Flatten"}).find("only per tensor"), std::string::npos) << per_axis.describe();
  // An output without parameters: plain integers, moved as bytes.
  const Selections plain([q](CaseBuilder& b) { b.op("Flatten", {b.quantized_input("x", {2, 64, 1, 1}, q)}, {}, 13)->dtype = KILN_DTYPE_INT8; });
  EXPECT_EQ(plain.chosen("Flatten"), "kiln.cuda.Flatten") << plain.describe();
}

TEST(CudaInt8Selection, PoolsNeedParametersOnBothSides) {
  KILN_REQUIRE_CUDA_PACK();
  const Quantization q = int8::x_grid();
  const Attrs window = {{"kernel_shape", ints_attr({2, 2})}, {"strides", ints_attr({2, 2})}};
  const Selections requantized([&](CaseBuilder& b) {
    b.quantized(b.op("MaxPool", {b.quantized_input("x", {1, 8, 6, 6}, q)}, window, 12), grid(0.01f));
  });
  EXPECT_EQ(requantized.chosen("MaxPool"), "kiln.cuda.MaxPool") << requantized.describe();
  const Selections average([&](CaseBuilder& b) {
    b.quantized(b.op("AveragePool", {b.quantized_input("x", {1, 8, 6, 6}, q)}, window, 11), q);
  });
  EXPECT_EQ(average.chosen("AveragePool"), "kiln.cuda.AveragePool") << average.describe();
  const Selections half([&](CaseBuilder& b) {
    Value* y = b.op("AveragePool", {b.quantized_input("x", {1, 8, 6, 6}, q)}, window, 11);
    y->dtype = KILN_DTYPE_INT8;  // integers without parameters: an average cannot be rounded onto an unknown grid
  });
  EXPECT_NE(half.reasons({"kiln.cuda.AveragePool"}).find("without quantization parameters"), std::string::npos) << half.describe();
}

TEST(CudaInt8Selection, QuantizeLinearDeclinesBlocks) {
  KILN_REQUIRE_CUDA_PACK();
  const Selections per_tensor([](CaseBuilder& b) {
    b.op("QuantizeLinear", {b.input("x", {2, 8}), b.scale_of("s", int8::x_grid()), b.zero_point_of("z", int8::x_grid())}, {}, 13);
  });
  EXPECT_EQ(per_tensor.chosen("QuantizeLinear"), "kiln.cuda.QuantizeLinear") << per_tensor.describe();
  const Selections blocked([](CaseBuilder& b) {
    Tensor scales(KILN_DTYPE_FLOAT32, {2, 4});
    for (int i = 0; i < 8; ++i) scales.as<float>()[i] = 0.01f;
    b.op("QuantizeLinear", {b.input("x", {2, 8}), b.constant("s", scales)}, {{"axis", int_attr(1)}, {"block_size", int_attr(2)}}, 21);
  });
  EXPECT_NE(blocked.reasons({"kiln.cuda.QuantizeLinear"}).find("block_size"), std::string::npos) << blocked.describe();
}

TEST(CudaInt8Selection, KernelsSayHowTheyTreatIntegers) {
  KILN_REQUIRE_CUDA_PACK();
  const PluginRegistry& registry = setup().gpu;
  const auto flagged = [&](const std::string& name, uint32_t flag) {
    const KernelEntry* k = registry.find(name);
    return k && has_kernel_flag(*k, flag);
  };
  EXPECT_TRUE(flagged("kiln.cuda.ConvFusedInt8", KILN_KERNEL_QUANTIZED));
  EXPECT_TRUE(flagged("kiln.cuda.ConvFusedInt8FirstLayer", KILN_KERNEL_QUANTIZED));
  EXPECT_TRUE(flagged("kiln.cuda.GemmInt8", KILN_KERNEL_QUANTIZED));
  EXPECT_TRUE(flagged("kiln.cuda.MatMulInt8", KILN_KERNEL_QUANTIZED));
  EXPECT_TRUE(flagged("kiln.cuda.ConvInt8", KILN_KERNEL_QUANTIZED));
  EXPECT_TRUE(flagged("kiln.cuda.MaxPool", KILN_KERNEL_QUANTIZED));
  EXPECT_TRUE(flagged("kiln.cuda.MaxPool", KILN_KERNEL_QUANT_PASSTHROUGH));
  EXPECT_TRUE(flagged("kiln.cuda.AveragePool", KILN_KERNEL_QUANTIZED));
  EXPECT_TRUE(flagged("kiln.cuda.Concat", KILN_KERNEL_QUANT_PASSTHROUGH));
  for (const char* shape_op : {"kiln.cuda.Reshape", "kiln.cuda.Flatten", "kiln.cuda.Squeeze", "kiln.cuda.Unsqueeze"})
    EXPECT_TRUE(flagged(shape_op, KILN_KERNEL_QUANT_PASSTHROUGH)) << shape_op;
  EXPECT_FALSE(flagged("kiln.cuda.Relu", KILN_KERNEL_QUANTIZED));  // it would compute on integers as on reals
}

}  // namespace
}  // namespace kiln::cuda_test
