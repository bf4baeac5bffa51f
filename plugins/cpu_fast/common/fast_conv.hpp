// The fast pack's 2-D convolution, float32 NCHW: Conv alone, or the fused chain Conv -> [BatchNormalization] ->
// [Add] -> [activation], possibly stacked with its siblings by horizontal fusion (ops/conv.cpp and
// ops/fused_conv.cpp register one kernel each on this one class).
//
// When the layer is built (create), the constant weights (with a BatchNormalization folded in) are packed once per
// group (or per stacked sibling) into the GEMM's panel layout, and that packed state is what serialize writes into a plan, so a plan loads
// without packing again. Each run unfolds each image's group (im2col, skipped for 1x1 stride-1 unpadded kernels)
// into the workspace, multiplies it by the packed weights straight into the output image, then applies bias, Add
// operand and activation in place. The attributes, shapes and fusion checks are the reference pack's own
// (plugins/cpu_reference/common), so both packs read a node the same way.
#ifndef KILN_CPU_FAST_FAST_CONV_HPP
#define KILN_CPU_FAST_FAST_CONV_HPP

#include <string>
#include <vector>

#include "common/conv_core.hpp"
#include "common/fused.hpp"
#include "common/sgemm.hpp"

namespace kiln::cpu_fast {

using cpu_ref::Activation;
using cpu_ref::ConvAttrs;
using cpu_ref::ConvShape;

class FastConv {
 public:
  // Why the fast convolution leaves this Conv node (a plain one, or a fused chain's first step) to another kernel,
  // or "".
  static std::string conv_reason(const Node& conv);
  // The same for a whole fused chain (Conv, then its optional steps).
  static std::string chain_reason(const Node& fused);

  // `node` is the layer (a Conv, or a fused node), `steps` its chain (cpu_ref::lone_step for a Conv).
  FastConv(const Node& node, const std::vector<FusedStep>& steps);                              // create: fold, pack
  FastConv(const Node& node, const std::vector<FusedStep>& steps, const uint8_t* bytes, size_t length);  // from a plan
  std::vector<uint8_t> serialize() const;
  // For `kiln inspect`: what was packed, and which SGEMM path this machine takes.
  std::string packing_note() const;
  size_t workspace_size(const ExecContext& ctx) const;
  void execute(ExecContext& ctx) const;

 private:
  FastConv(const Node& node, const std::vector<FusedStep>& steps, int);  // what every constructor reads from the node
  ConvShape shape(const ExecContext& ctx) const;
  int64_t depth() const;
  // The output channels of each packed block of W: one block per group, or one per stacked sibling.
  std::vector<int64_t> block_rows() const;

  ConvAttrs attrs_;
  Activation activation_;
  int add_input_ = -1;  // the fused node's position of the Add operand; -1 without an Add
  std::vector<int64_t> weight_dims_;
  std::vector<int64_t> stack_;         // a stacked node's output channels per sibling (empty: one output)
  std::vector<PackedMatrix> weights_;  // per block: [its output channels, channels / group * kernel size]
  std::vector<float> bias_;            // one per output channel (zeros without a bias)
};

// The hooks Conv and ConvFused both hand to FastConv; each kernel adds its spec, check, infer and constructors.
struct FastConvKernel {
  explicit FastConvKernel(FastConv c) : conv(std::move(c)) {}
  std::vector<uint8_t> serialize() const { return conv.serialize(); }
  size_t workspace_size(const ExecContext& ctx) const { return conv.workspace_size(ctx); }
  void execute(ExecContext& ctx) { conv.execute(ctx); }
  FastConv conv;
};

}  // namespace kiln::cpu_fast

#endif  // KILN_CPU_FAST_FAST_CONV_HPP
