// ConvFused: Conv -> [BatchNormalization] -> [Add] -> [activation], the reference pack's pattern under the same
// op name, so the fusion pass builds one fused node and the config's preference list picks whose kernel runs it.
// It accepts the chains the reference ConvFused accepts (common/conv_fusion.hpp), stacked siblings included, and
// computes them as the fast Conv does, with the BatchNormalization folded into the packed weights.
#include "common/conv_fusion.hpp"
#include "common/fast_conv.hpp"

namespace kiln::cpu_fast {
namespace {

struct ConvFused : FastConvKernel {
  static KernelSpec spec() {
    KernelSpec s = cpu_ref::fused_spec("ConvFused", 1, 2,
                                       {{"", "Conv", -1, 0},
                                        {"", "BatchNormalization", 0, KILN_PATTERN_OPTIONAL},
                                        {"", "Add", -1, KILN_PATTERN_OPTIONAL},
                                        cpu_ref::activation_pattern(KILN_PATTERN_OPTIONAL)});
    s.name = "kiln.cpu_fast.ConvFused";
    const uint64_t float32 = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32);
    for (kiln_io_spec& io : s.inputs) io.dtypes = float32;
    s.outputs[0].dtypes = float32;
    s.flags = KILN_KERNEL_STRIDED_OUTPUT | KILN_KERNEL_STACKABLE;
    s.outputs[0].flags |= KILN_IO_VARIADIC;  // a stacked node has one output per sibling
    return s;
  }
  static std::string check(const Node& node) { return FastConv::chain_reason(node); }
  static void infer(const Node& node, InferContext& ctx) { cpu_ref::infer_conv_fused(node, ctx); }
  explicit ConvFused(const Node& node) : FastConvKernel(FastConv(node, fused_steps(node))) { node.note(conv.packing_note()); }
  ConvFused(const Node& node, const uint8_t* bytes, size_t length)
      : FastConvKernel(FastConv(node, fused_steps(node), bytes, length)) {}
};

}  // namespace

const kiln_kernel_desc* conv_fused_kernel() { return describe<ConvFused>(); }

}  // namespace kiln::cpu_fast
