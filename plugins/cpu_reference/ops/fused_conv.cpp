// ConvFused: Conv -> [BatchNormalization] -> [Add] -> [activation], in one pass over the output.
//
// BatchNormalization is folded into the Conv once, in create: s * (W * x + b - mean) + beta, with
// s = scale / sqrt(var + epsilon) per output channel, is a convolution with weights s * W and bias
// s * (b - mean) + beta. The Add operand (a residual of the output's shape, or anything that broadcasts to it
// such as a per-channel bias [C,1,1]) and the activation are applied to each image as the GEMM leaves it,
// so the chain writes its output once.
//
// Inputs (common/fused.hpp gives the convention): X, W[, B] of the Conv; scale, B, mean, var of the
// BatchNormalization; the Add's other operand; the activation's bounds (Clip's min and max, read in create).

#include "common/conv_core.hpp"
#include "common/conv_fusion.hpp"
#include "common/fused.hpp"
#include "common/image_output.hpp"

namespace kiln::cpu_ref {
namespace {

struct ConvFused {
  static KernelSpec spec() {
    KernelSpec s = fused_spec("ConvFused", 1, 2,
                              {{"", "Conv", -1, 0},
                               {"", "BatchNormalization", 0, KILN_PATTERN_OPTIONAL},
                               {"", "Add", -1, KILN_PATTERN_OPTIONAL},
                               activation_pattern(KILN_PATTERN_OPTIONAL)});
    // May write straight into its slice of a Concat's output, and sibling convolutions of one input may be
    // stacked into one node whose result is split into the siblings' outputs (horizontal fusion).
    s.flags = KILN_KERNEL_STRIDED_OUTPUT | KILN_KERNEL_STACKABLE;
    s.outputs[0].flags |= KILN_IO_VARIADIC;  // a stacked node has one output per sibling
    return s;
  }
  static std::string check(const Node& node) { return conv_fused_reason(node); }
  static void infer(const Node& node, InferContext& ctx) { infer_conv_fused(node, ctx); }

  explicit ConvFused(const Node& node) : ConvFused(fused_steps(node)) {
    if (node.has(kStack)) stack = node.attr_ints(kStack);
  }
  explicit ConvFused(const std::vector<FusedStep>& steps)
      : conv(steps[0].node), conv_has_bias(steps[0].node.num_inputs() > 2), activation(activation_of(steps)) {
    if (const auto add = step_named(steps, "Add")) add_input = add->fused_input(add->other_input());
    if (const auto bn = step_named(steps, "BatchNormalization")) fold(steps[0].node, bn->node);
  }

  // Folds the BatchNormalization into the (constant) weights and bias (common/conv_fusion.hpp).
  void fold(const Node& conv_node, const Node& bn) {
    FoldedConv folded_conv(conv_node, bn, "ConvFused");
    weight = std::move(folded_conv.weight);
    bias = std::move(folded_conv.bias);
    weight_dims = std::move(folded_conv.weight_dims);
    folded = true;
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const ConvShape s = conv.shape(x.shape(), folded ? weight_dims : ctx.input(1).shape());
    const bool runtime_bias = !folded && conv_has_bias && ctx.has_input(2);
    if (runtime_bias) conv.check_bias(s, ctx.input(2).numel());
    FloatTypes::dispatch(x.dtype(), "ConvFused", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const std::vector<C> xv = values_as<C>(x, "ConvFused");
      const std::vector<C> wv = folded ? std::vector<C>(weight.begin(), weight.end()) : values_as<C>(ctx.input(1), "ConvFused");
      const std::vector<C> bv = folded ? std::vector<C>(bias.begin(), bias.end())
                                       : runtime_bias ? values_as<C>(ctx.input(2), "ConvFused") : std::vector<C>();
      const std::vector<C> addend = add_input < 0 ? std::vector<C>() : broadcast_as<C>(ctx.input(add_input), y.shape());
      const int64_t size = s.maps * s.out_size;
      std::vector<ImageOutput<T>> images;
      for (int k = 0; k < ctx.num_outputs(); ++k) images.emplace_back(ctx.output(k));
      convolve(s, xv.data(), wv.data(), [&](int64_t n, C* out) {
        // The unfused order: (conv + bias) + addend, then the activation.
        if (!bv.empty())
          for (int64_t m = 0; m < s.maps; ++m)
            for (int64_t o = 0; o < s.out_size; ++o) out[m * s.out_size + o] += bv[m];
        if (!addend.empty())
          for (int64_t i = 0; i < size; ++i) out[i] += addend[n * size + i];
        activation.apply(out, size);
        int64_t row = 0;  // a stacked node's outputs take consecutive runs of the output channels
        for (size_t k = 0; k < images.size(); ++k) {
          const int64_t count = (stack.empty() ? s.maps : stack[k]) * s.out_size;
          T* py = images[k].image(n, count);
          for (int64_t i = 0; i < count; ++i) py[i] = static_cast<T>(out[row + i]);
          row += count;
        }
      });
      for (ImageOutput<T>& image : images) image.finish();
    });
  }

  // t's values broadcast to `dims`, in compute type C.
  template <class C> static std::vector<C> broadcast_as(const Tensor& t, const std::vector<int64_t>& dims) {
    const std::vector<C> v = values_as<C>(t, "ConvFused");
    std::vector<C> out(static_cast<size_t>(product(dims)));
    for_each_broadcast<1>(dims, {t.shape()}, [&](int64_t i, const std::array<int64_t, 1>& at) { out[i] = v[at[0]]; });
    return out;
  }

  ConvAttrs conv;
  bool conv_has_bias;
  Activation activation;
  int add_input = -1;  // the fused node's position of the Add operand; -1 without an Add
  std::vector<int64_t> stack;  // a stacked node's output channels per sibling (empty: one output)
  bool folded = false;
  std::vector<double> weight, bias;  // folded with the BatchNormalization
  std::vector<int64_t> weight_dims;
};

}  // namespace

const kiln_kernel_desc* conv_fused_kernel() { return describe<ConvFused>(); }

}  // namespace kiln::cpu_ref
