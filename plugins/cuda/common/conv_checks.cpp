#include "common/conv_checks.hpp"

#include "common/conv_attributes.hpp"

namespace kiln::cuda {

std::string conv_reason(const Node& conv) {
  const std::string why = ConvAttributes(conv).unsupported(conv.input(0), conv.input(1));
  if (!why.empty()) return why;
  if (conv.has_input(2) && !conv.input(2).data)
    return "B '" + conv.input(2).name + "' is not a constant (the bias is packed once, in create)";
  return "";
}

std::string add_reason(const FusedStep& add, const Node& conv) {
  if (const std::string legacy = legacy_broadcast_reason(add.node); !legacy.empty()) return legacy;
  const ValueInfo other = add.node.input(add.other_input()), x = conv.input(0), w = conv.input(1);
  if (other.name == add.node.input(add.chained).name) return "Add adds the convolution's output to itself";
  if (other.data) return "the Add operand '" + other.name + "' is a constant; only a residual activation is fused";
  if (!other.has_rank || !x.has_rank) return "the Add operand's or X's rank is unknown";
  const std::vector<int64_t> out = ConvAttributes(conv).output_dims(x.dims, w.dims);
  if (other.dims != out) {
    std::string text = "[";
    for (size_t i = 0; i < other.dims.size(); ++i) text += (i ? ", " : "") + std::to_string(other.dims[i]);
    return "the Add operand " + text + "] does not have the convolution's output shape (no broadcasting here)";
  }
  return "";
}

}  // namespace kiln::cuda
