// Convolutions in INT8 (docs/quantization.md): ConvFusedInt8 takes the CUDA ConvFused's op and pattern, Conv ->
// [BatchNormalization] -> [Add] -> [Relu | Clip], and ConvInt8 a lone Conv, both on int8 X. Each has a FirstLayer
// twin for fewer than 16 input channels (an RGB first layer), which runs only as common/conv_int8_space_to_depth.hpp's
// packed layer and reads X in any layout without preferring NHWC: its X is then the graph input's quantization,
// which writes linear in one flat pass instead of reordering 3 channels into NHWC. The selector tells
// them from the float kernels by dtype: X int8, per tensor and symmetric (cuDNN's int8 convolution has no input
// zero point); Y int8 on any per-tensor grid, or float32/float16 (an INT8 layer before float readers). Both are
// flagged KILN_KERNEL_QUANTIZED: they read the scales of X, Y and the residual. The layer itself is
// common/conv_int8_layer.hpp's; this file says which nodes it takes.
//
// Inputs (kiln/fused.hpp gives the convention): X, W[, B] of the Conv; scale, B, mean, var of the
// BatchNormalization; the Add's other operand, a residual of the output's exact shape (int8 per tensor, or float);
// Clip's min and max. W and B stay float constants: W is quantized when the kernel is created (or its own
// quantization parameters are used), the bias is added in the real domain.
#include <limits>

#include "common/clip_bounds.hpp"
#include "common/conv_checks.hpp"
#include "common/conv_int8_layer.hpp"
#include "common/conv_int8_weights.hpp"
#include "common/quant_params.hpp"
#include "kiln/fused.hpp"

namespace kiln::cuda {
namespace {

constexpr uint32_t kImageLayouts = KILN_LAYOUT_BIT(KILN_LAYOUT_LINEAR) | KILN_LAYOUT_BIT(KILN_LAYOUT_NHWC);
constexpr uint64_t kFloat = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT16);
constexpr uint64_t kInt8 = KILN_DTYPE_BIT(KILN_DTYPE_INT8);

// Which convolutions a kernel takes: 16 or more input channels (cuDNN's graph or kiln's kernel), or a first
// layer's fewer (the space-to-depth path).
enum class Channels { kMany, kFew };

// X and Y channels-last preferred: cuDNN reads int8 X only NHWC (X stored otherwise is copied per call), and the
// builder stores 8-bit values NHWC when a kernel around them prefers it and all accept it. A first layer packs X
// from any strides.
kiln_io_spec x_io(Channels c) { return io_layouts(kInt8, kImageLayouts, c == Channels::kMany ? KILN_IO_PREFERS_NHWC : 0); }
kiln_io_spec y_io() { return io_layouts(kInt8 | kFloat, kImageLayouts, KILN_IO_PREFERS_NHWC); }

// Why X cannot be cuDNN's int8 input, or "".
std::string x_reason(const ValueInfo& x) {
  if (const std::string why = per_tensor_reason(x, "X"); !why.empty()) return why;
  if (x.quant.zero_points[0] != 0)
    return "X's zero point is " + std::to_string(x.quant.zero_points[0]) + "; cuDNN's int8 convolution takes symmetric int8 X only";
  return "";
}

// Why an int8 or float value at `what` cannot be read or written by the epilogue, or "".
std::string grid_reason(const ValueInfo& v, const std::string& what) {
  if (v.dtype == KILN_DTYPE_INT8) return per_tensor_reason(v, what);
  if (v.dtype == KILN_DTYPE_UNDEFINED || v.dtype == KILN_DTYPE_FLOAT32 || v.dtype == KILN_DTYPE_FLOAT16) return "";
  return what + " is " + dtype_name(v.dtype) + "; int8, float32 or float16 run here";
}

// Whether the Conv has a first layer's few input channels (fewer than 16).
bool few_channels(const Node& conv) {
  const ValueInfo w = conv.input(1);
  return w.has_rank && w.rank() == 4 && w.dims[1] >= 0 && w.dims[1] < 16;
}

// Why the Conv is not one of `want`'s, or "".
std::string channels_reason(const Node& conv, Channels want) {
  const bool few = few_channels(conv);
  const std::string c = few ? std::to_string(conv.input(1).dims[1]) : "";
  // Measured on an H200 (docs/performance.md): ResNet-50's 3-channel stem padded to 16 channels took 7.8 ms at
  // batch 256 on cuDNN's int8 engines, more than the whole FP16 network.
  if (want == Channels::kMany && few)
    return "fewer than 16 input channels (" + c + "): cuDNN's int8 engines are far slower here than FP16 (the FirstLayer kernel takes such a layer)";
  if (want == Channels::kFew && !few) return "16 or more input channels: not a first layer";
  if (!few) return "";
  const std::string why = ConvInt8SpaceToDepth::unsuitable(conv);
  return why.empty() ? "" : "fewer than 16 input channels (" + c + ") run only as a space-to-depth first layer, which does not take " + why;
}

// Why the Conv of a chain (`bn_folded`: with a BatchNormalization after) cannot run here, or "".
std::string int8_conv_reason(const Node& conv, bool bn_folded, Channels want) {
  std::string why = conv_reason(conv);
  if (why.empty()) why = x_reason(conv.input(0));
  // Channels need no multiple of 4 (the layer pads them), but padding does not carry over to groups.
  if (why.empty() && conv.attr_int("group", 1) != 1)
    why = "grouped INT8 convolutions (group " + std::to_string(conv.attr_int("group", 1)) + ") are not run on cuDNN here";
  if (why.empty()) why = int8_weight_reason(conv.input(1), bn_folded);
  if (why.empty()) why = channels_reason(conv, want);
  return why;
}

// What the space-to-depth first layer needs of the chain's ends ("" for other convolutions).
std::string first_layer_ends_reason(const Node& conv, const ValueInfo& y, const ValueInfo* residual) {
  return few_channels(conv) ? ConvInt8SpaceToDepth::ends_reason(y, residual) : "";
}

// Y's dims from the Conv. Its dtype, for int8 X, is the graph's (int8 or float, as the builder's quantization
// decided; X's when the graph has none yet). A plain Conv kernel without a shape function of its own borrows this
// one (kiln.cuda.Conv, when this pack loads first): for float X it answers as the reference does, X's dtype, and
// dims for 2-D convolutions only, the only ones that kernel takes.
void infer_int8_conv(const Node& node, const Node& conv, InferContext& ctx) {
  const ValueInfo x = ctx.input(0), w = ctx.input(1);
  const kiln_dtype dtype = quantized_layer_output_dtype(node, x);
  if (!x.has_rank || !w.has_rank || x.rank() != 4 || w.rank() != 4) return ctx.set_output_unknown_rank(0, dtype);
  ctx.set_output(0, dtype, ConvAttributes(conv).output_dims(x.dims, w.dims));
}

template <Channels kChannels>
struct ConvFusedInt8 {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = kChannels == Channels::kMany ? "kiln.cuda.ConvFusedInt8" : "kiln.cuda.ConvFusedInt8FirstLayer";
    s.op_type = "ConvFused";
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_QUANTIZED;
    // After X and W: B, the BatchNormalization's statistics, the residual, Clip's bounds, whichever steps matched.
    s.inputs = {x_io(kChannels), io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32)),
                io_layouts(kInt8 | kFloat, kImageLayouts, KILN_IO_OPTIONAL | KILN_IO_VARIADIC | KILN_IO_PREFERS_NHWC)};
    s.outputs = {y_io()};
    s.pattern = {{"", "Conv", -1, 0},
                 {"", "BatchNormalization", 0, KILN_PATTERN_OPTIONAL},
                 {"", "Add", -1, KILN_PATTERN_OPTIONAL},
                 {"", "Relu|Clip", 0, KILN_PATTERN_OPTIONAL}};
    return s;
  }

  static std::string check(const Node& node) {
    const std::vector<FusedStep> steps = fused_steps(node);
    const Node& conv = steps[0].node;
    const auto bn = step_named(steps, "BatchNormalization");
    std::string why = int8_conv_reason(conv, bn.has_value(), kChannels);
    if (bn && why.empty()) why = batch_norm_reason(bn->node);
    if (const auto add = step_named(steps, "Add"); add && why.empty()) {
      why = add_reason(*add, conv);
      if (why.empty()) why = grid_reason(add->node.input(add->other_input()), "the Add operand");
    }
    if (const auto clip = step_named(steps, "Clip"); clip && why.empty()) why = clip_bounds_reason(clip->node);
    if (why.empty()) why = grid_reason(node.output(0), "Y");
    if (why.empty()) {
      const auto add = step_named(steps, "Add");
      const ValueInfo residual = add ? add->node.input(add->other_input()) : ValueInfo{};
      why = first_layer_ends_reason(conv, node.output(0), add ? &residual : nullptr);
    }
    return why;
  }

  static void infer(const Node& node, InferContext& ctx) { infer_int8_conv(node, node.pattern_step(0), ctx); }

  explicit ConvFusedInt8(const Node& node) : layer(node, recipe_of(node)) {}
  size_t workspace_size(const ExecContext& ctx) const { return layer.workspace_size(ctx); }
  void execute(ExecContext& ctx) { layer.execute(ctx); }

  static ConvInt8Recipe recipe_of(const Node& node) {
    if (const std::string why = check(node); !why.empty()) fail_unsupported(node.name() + ": " + why);
    const std::vector<FusedStep> steps = fused_steps(node);
    ConvInt8Recipe r{steps[0].node, std::nullopt, -1};
    if (const auto bn = step_named(steps, "BatchNormalization")) r.batch_norm = bn->node;
    if (const auto add = step_named(steps, "Add")) r.residual_input = add->fused_input(add->other_input());
    if (step_named(steps, "Relu")) r.lo = 0.0f;
    if (const auto clip = step_named(steps, "Clip")) {
      const ClipBounds b = clip_bounds(clip->node);
      r.lo = b.lo, r.hi = b.hi;
    }
    return r;
  }

  ConvInt8Layer layer;
};

// A lone Conv (no BatchNormalization, Add or activation after it to fuse: a QDQ model's projection shortcut).
template <Channels kChannels>
struct ConvInt8 {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = kChannels == Channels::kMany ? "kiln.cuda.ConvInt8" : "kiln.cuda.ConvInt8FirstLayer";
    s.op_type = "Conv";
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_QUANTIZED;
    s.inputs = {x_io(kChannels), io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32)), io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32), KILN_IO_OPTIONAL)};
    s.outputs = {y_io()};
    return s;
  }
  static std::string check(const Node& node) {
    std::string why = int8_conv_reason(node, false, kChannels);
    if (why.empty()) why = grid_reason(node.output(0), "Y");
    if (why.empty()) why = first_layer_ends_reason(node, node.output(0), nullptr);
    return why;
  }
  static void infer(const Node& node, InferContext& ctx) { infer_int8_conv(node, node, ctx); }

  explicit ConvInt8(const Node& node) : layer(node, recipe_of(node)) {}
  size_t workspace_size(const ExecContext& ctx) const { return layer.workspace_size(ctx); }
  void execute(ExecContext& ctx) { layer.execute(ctx); }

  static ConvInt8Recipe recipe_of(const Node& node) {
    if (const std::string why = check(node); !why.empty()) fail_unsupported(node.name() + ": " + why);
    return ConvInt8Recipe{node, std::nullopt, -1};
  }

  ConvInt8Layer layer;
};

}  // namespace

const kiln_kernel_desc* conv_fused_int8_kernel() { return describe<ConvFusedInt8<Channels::kMany>>(); }
const kiln_kernel_desc* conv_int8_kernel() { return describe<ConvInt8<Channels::kMany>>(); }
const kiln_kernel_desc* conv_fused_int8_first_layer_kernel() { return describe<ConvFusedInt8<Channels::kFew>>(); }
const kiln_kernel_desc* conv_int8_first_layer_kernel() { return describe<ConvInt8<Channels::kFew>>(); }

}  // namespace kiln::cuda
