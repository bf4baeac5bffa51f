// Conv and ConvFused (Conv -> [BatchNormalization] -> [Add] -> [Relu]) on cuDNN: one fused call per layer
// where cuDNN has one, the BatchNormalization folded into the weights once. The layer itself is
// common/conv_layer.hpp's; this file says which nodes the kernels take.
//
// ConvFused's inputs (common/fused_steps.hpp gives the convention): X, W[, B] of the Conv; scale, B, mean, var
// of the BatchNormalization; the Add's other operand, a residual of the output's exact shape.
#include "common/conv_checks.hpp"
#include "common/conv_layer.hpp"
#include "kiln/fused.hpp"

namespace kiln::cuda {
namespace {

constexpr uint64_t kFloat = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT16);
constexpr uint32_t kImageLayouts = KILN_LAYOUT_BIT(KILN_LAYOUT_LINEAR) | KILN_LAYOUT_BIT(KILN_LAYOUT_NHWC);

// X, Y and the residual: float32 or float16, channels-last preferred (cuDNN's tensor-core kernels are NHWC).
kiln_io_spec image_io(uint32_t flags = 0) { return io_layouts(kFloat, kImageLayouts, flags | KILN_IO_PREFERS_NHWC); }
// W and B stay float32 under `precision: fp16`: they are folded (in double) and converted once, in create.
kiln_io_spec weight_io(uint32_t flags = 0) { return io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32), flags); }

KernelSpec conv_spec(const std::string& op_type) {
  KernelSpec s;
  s.name = "kiln.cuda." + op_type;
  s.op_type = op_type;
  s.device = KILN_DEVICE_CUDA;
  s.outputs = {image_io()};
  return s;
}

struct Conv {
  static KernelSpec spec() {
    KernelSpec s = conv_spec("Conv");
    s.inputs = {image_io(), weight_io(), weight_io(KILN_IO_OPTIONAL)};
    return s;
  }
  static std::string check(const Node& node) { return conv_reason(node); }

  explicit Conv(const Node& node) : layer(node, ConvRecipe{node, std::nullopt, -1, false}) {}
  size_t workspace_size(const ExecContext& ctx) const { return layer.workspace_size(ctx); }
  void execute(ExecContext& ctx) { layer.execute(ctx); }

  ConvLayer layer;
};

struct ConvFused {
  static KernelSpec spec() {
    KernelSpec s = conv_spec("ConvFused");
    // After X and W, the positions hold B, the BatchNormalization's statistics or the residual depending on which
    // steps matched: the spec must admit the residual (an activation, float16 under `precision: fp16`), so the
    // constants there may arrive as float16 too; create widens whatever it gets to double.
    s.inputs = {image_io(), weight_io(), image_io(KILN_IO_OPTIONAL | KILN_IO_VARIADIC)};
    s.pattern = {{"", "Conv", -1, 0},
                 {"", "BatchNormalization", 0, KILN_PATTERN_OPTIONAL},
                 {"", "Add", -1, KILN_PATTERN_OPTIONAL},
                 {"", "Relu", 0, KILN_PATTERN_OPTIONAL}};
    return s;
  }
  static std::string check(const Node& node) {
    const std::vector<FusedStep> steps = fused_steps(node);
    const Node& conv = steps[0].node;
    std::string why = conv_reason(conv);
    if (const auto bn = step_named(steps, "BatchNormalization"); bn && why.empty()) why = batch_norm_reason(bn->node);
    if (const auto add = step_named(steps, "Add"); add && why.empty()) why = add_reason(*add, conv);
    return why;
  }

  explicit ConvFused(const Node& node) : layer(node, recipe_of(node)) {}
  size_t workspace_size(const ExecContext& ctx) const { return layer.workspace_size(ctx); }
  void execute(ExecContext& ctx) { layer.execute(ctx); }

  static ConvRecipe recipe_of(const Node& node) {
    const std::vector<FusedStep> steps = fused_steps(node);
    ConvRecipe r{steps[0].node, std::nullopt, -1, false};
    if (const auto bn = step_named(steps, "BatchNormalization")) r.batch_norm = bn->node;
    if (const auto add = step_named(steps, "Add")) r.residual_input = add->fused_input(add->other_input());
    r.relu = step_named(steps, "Relu").has_value();
    return r;
  }

  ConvLayer layer;
};

}  // namespace

const kiln_kernel_desc* conv_kernel() { return describe<Conv>(); }
const kiln_kernel_desc* conv_fused_kernel() { return describe<ConvFused>(); }

}  // namespace kiln::cuda
