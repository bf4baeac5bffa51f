// What a fused convolution (Conv -> [BatchNormalization] -> [Add] -> [activation]) must check and prepare,
// whatever computes it: why the BatchNormalization or the Add step cannot fuse, and the BatchNormalization folded
// into the Conv's weights and bias. The reference pack's ConvFused and the fast pack's (plugins/cpu_fast) share
// it, so both accept exactly the same chains.
#ifndef KILN_CPU_REF_CONV_FUSION_HPP
#define KILN_CPU_REF_CONV_FUSION_HPP

#include <string>
#include <vector>

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
