// Conv: N-D convolution with groups, dilations, strides, pads/auto_pad and an optional bias, as im2col
// followed by a matrix multiply per group (the im2col step is skipped for 1x1, stride 1, unpadded kernels).
// The convolution itself lives in common/conv_core.hpp, which ConvFused shares.
#include "common/conv_core.hpp"
#include "common/elementwise.hpp"
#include "common/image_output.hpp"
#include "common/nn_values.hpp"

namespace kiln::cpu_ref {
namespace {

struct Conv {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Conv";
    s.op_type = "Conv";
    s.inputs = {io(FloatTypes::mask), io(FloatTypes::mask), io(FloatTypes::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(FloatTypes::mask)};
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;  // may write straight into its slice of a Concat's output
    return s;
  }
  explicit Conv(const Node& node) : conv(node) {}
  static void infer(const Node& node, InferContext& ctx) { ConvAttrs(node).infer(ctx); }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), weight = ctx.input(1), y = ctx.output(0);
    const ConvShape s = conv.shape(x.shape(), weight.shape());
    if (ctx.has_input(2)) conv.check_bias(s, ctx.input(2).numel());
    FloatTypes::dispatch(x.dtype(), "Conv", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const std::vector<C> xv = values_as<C>(x, "Conv"), wv = values_as<C>(weight, "Conv");
      const std::vector<C> bias = ctx.has_input(2) ? values_as<C>(ctx.input(2), "Conv") : std::vector<C>();
      ImageOutput<T> images(y);
      convolve(s, xv.data(), wv.data(), [&](int64_t n, const C* out) {
        T* py = images.image(n, s.maps * s.out_size);
        for (int64_t m = 0; m < s.maps; ++m)
          for (int64_t o = 0; o < s.out_size; ++o)
            py[m * s.out_size + o] = static_cast<T>(out[m * s.out_size + o] + (bias.empty() ? C(0) : bias[m]));
      });
      images.finish();
    });
  }
  ConvAttrs conv;
};

}  // namespace

const kiln_kernel_desc* conv_kernel() { return describe<Conv>(); }

}  // namespace kiln::cpu_ref
