// What a fused convolution (Conv -> [BatchNormalization] -> [Add] -> [activation], possibly stacked with its
// siblings) must check and prepare, whatever computes it: why a step or the stacking cannot fuse, the output
// shapes, and the BatchNormalization folded into the Conv's weights and bias. The reference pack's ConvFused and the fast pack's (plugins/cpu_fast) share
// it, so both accept exactly the same chains.
#ifndef KILN_CPU_REF_CONV_FUSION_HPP
#define KILN_CPU_REF_CONV_FUSION_HPP

#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/conv_core.hpp"
#include "common/fused.hpp"

namespace kiln::cpu_ref {

// Why the BatchNormalization step cannot be folded into the Conv, or "".
inline std::string conv_bn_reason(const Node& bn, const Node& conv) {
  if (const std::string why = batch_norm_reason(bn); !why.empty()) return why;
  for (int i = 1; i < 3; ++i)
    if (conv.has_input(i) && !conv.input(i).data)
      return "BatchNormalization folds into the Conv's weights, but its input '" + conv.input(i).name + "' is not a constant";
  return "";
}

// Why the Add step's other operand cannot be added to the Conv's output in place, or "".
inline std::string conv_add_reason(const FusedStep& add, const Node& conv) {
  const std::string legacy = legacy_broadcast_reason(add.node);
  if (!legacy.empty()) return legacy;
  const ValueInfo other = add.node.input(add.other_input()), x = conv.input(0), w = conv.input(1);
  if (other.name == add.node.input(add.chained).name) return "Add adds the convolution's output to itself";
  if (other.dtype != x.dtype) return "the Add operand is " + std::string(dtype_name(other.dtype)) + ", X is " + dtype_name(x.dtype);
  if (!other.has_rank || !x.has_rank || !w.has_rank) return "the Add operand's or the convolution's rank is unknown";
  const std::vector<int64_t> out = ConvAttrs(conv).output_dims(x.dims, w.dims);
  if (!broadcasts_to(other.dims, out))
    return "the Add operand " + dims_text(other.dims) + " does not broadcast to the convolution's output " + dims_text(out);
  return "";
}

// The attribute the core gives a node that stacks sibling convolutions (KILN_KERNEL_STACKABLE): each sibling's
// output channels, in order.
const char* const kStack = "kiln_stack";

// Why a stacked node cannot be computed as one convolution split into its outputs, or "".
inline std::string conv_stack_reason(const Node& node, const std::vector<FusedStep>& steps) {
  const Node& conv = steps[0].node;
  if (conv.attr_int("group", 1) != 1) return "grouped convolutions do not stack (their groups would mix)";
  if (step_named(steps, "Add")) return "a stacked convolution cannot add a per-sibling operand";
  const std::vector<int64_t> sizes = node.attr_ints(kStack);
  int64_t total = 0;
  for (int64_t m : sizes) total += m;
  const ValueInfo w = conv.input(1);
  if (!w.has_rank || w.dims.empty() || w.dims[0] != total) return "kiln_stack does not add up to W's output channels";
  if (static_cast<int64_t>(sizes.size()) != node.num_outputs()) return "kiln_stack needs one output per sibling";
  return "";
}

// Why the fused chain `node` cannot be computed as one convolution with its epilogue, or "".
inline std::string conv_fused_reason(const Node& node) {
  const std::vector<FusedStep> steps = fused_steps(node);
  const Node& conv = steps[0].node;
  std::string why;
  if (const auto bn = step_named(steps, "BatchNormalization")) why = conv_bn_reason(bn->node, conv);
  if (const auto add = step_named(steps, "Add"); add && why.empty()) why = conv_add_reason(*add, conv);
  if (const auto act = activation_step(steps); act && why.empty()) why = Activation::check(act->node);
  if (node.has(kStack) && why.empty()) why = conv_stack_reason(node, steps);
  return why;
}

// The fused chain's outputs: the Conv's, or with stacking one per sibling, each with its share of the channels.
inline void infer_conv_fused(const Node& node, InferContext& ctx) {
  const ConvAttrs attrs(node.pattern_step(0));
  if (!node.has(kStack)) return attrs.infer(ctx);
  const ValueInfo x = ctx.input(0), w = ctx.input(1);
  const std::vector<int64_t> sizes = node.attr_ints(kStack);
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (!x.has_rank || !w.has_rank) {
      ctx.set_output_unknown_rank(static_cast<int>(i), x.dtype);
      continue;
    }
    std::vector<int64_t> dims = attrs.output_dims(x.dims, w.dims);
    dims[1] = sizes[i];  // sibling i's share of the stacked output channels
    ctx.set_output(static_cast<int>(i), x.dtype, dims);
  }
}

// A Conv's constant weights and bias with a BatchNormalization folded in, in double: s * (W * x + b - mean) +
// beta, with s = scale / sqrt(var + epsilon) per output channel, is a convolution with weights s * W and bias
// s * (b - mean) + beta.
struct FoldedConv {
  std::vector<double> weight, bias;
  std::vector<int64_t> weight_dims;

  FoldedConv(const Node& conv, const Node& bn, const std::string& what) {
    const ValueInfo w = conv.input(1);
    weight = values_as<double>(w, what.c_str());
    weight_dims = w.dims;
    const int64_t maps = weight_dims.at(0), per_map = maps ? static_cast<int64_t>(weight.size()) / maps : 0;
    bias = conv.has_input(2) ? values_as<double>(conv.input(2), what.c_str()) : std::vector<double>(maps, 0.0);
    const ChannelAffine affine(bn);
    if (static_cast<int64_t>(bias.size()) != maps || static_cast<int64_t>(affine.scale.size()) != maps)
      fail_invalid(what + ": the Conv's bias and BatchNormalization's inputs need one value per output channel (" +
                   std::to_string(maps) + ")");
    for (int64_t m = 0; m < maps; ++m) {
      for (int64_t i = 0; i < per_map; ++i) weight[m * per_map + i] *= affine.scale[m];
      bias[m] = bias[m] * affine.scale[m] + affine.shift[m];
    }
  }
};

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_CONV_FUSION_HPP
