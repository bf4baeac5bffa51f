// Conv: N-D convolution with groups, dilations, strides, pads/auto_pad and an optional bias, as im2col
// followed by a matrix multiply per group (the im2col step is skipped for 1x1, stride 1, unpadded kernels).
#include "common/elementwise.hpp"
#include "common/gemm.hpp"
#include "common/nn_values.hpp"
#include "common/shape_util.hpp"
#include "common/window.hpp"

namespace kiln::cpu_ref {
namespace {

// Unfolds one image's channels [c0, c0 + channels) into cols[channels * prod(kernel), prod(out)].
template <class C>
void im2col(const C* image, const std::vector<int64_t>& in, const Window& w, int64_t channels, C* cols) {
  const size_t rank = w.rank();
  const int64_t out_size = product(w.out), kernel_size = product(w.kernel), in_size = product(in);
  const std::vector<int64_t> in_strides = dense_strides(in);
  // For each dim, the input coordinate of (kernel index k, output index o), or -1 in the padding.
  std::vector<std::vector<int64_t>> coord(rank);
  for (size_t d = 0; d < rank; ++d)
    for (int64_t k = 0; k < w.kernel[d]; ++k)
      for (int64_t o = 0; o < w.out[d]; ++o) {
        const int64_t i = o * w.strides[d] - w.pad_begin[d] + k * w.dilations[d];
        coord[d].push_back(i >= 0 && i < in[d] ? i : -1);
      }
  std::vector<int64_t> k_idx(rank), o_idx(rank);
  for (int64_t c = 0; c < channels; ++c) {
    const C* plane = image + c * in_size;
    for (int64_t kk = 0; kk < kernel_size; ++kk) {
      // kernel multi-index of kk
      for (size_t d = rank, r = static_cast<size_t>(kk); d-- > 0;) k_idx[d] = static_cast<int64_t>(r % w.kernel[d]), r /= w.kernel[d];
      C* row = cols + (c * kernel_size + kk) * out_size;
      std::fill(o_idx.begin(), o_idx.end(), 0);
      for (int64_t o = 0; o < out_size; ++o) {
        int64_t offset = 0;
        bool inside = true;
        for (size_t d = 0; d < rank && inside; ++d) {
          const int64_t i = coord[d][k_idx[d] * w.out[d] + o_idx[d]];
          inside = i >= 0;
          offset += i * in_strides[d];
        }
        row[o] = inside ? plane[offset] : C(0);
        for (size_t d = rank; d-- > 0;) {
          if (++o_idx[d] < w.out[d]) break;
          o_idx[d] = 0;
        }
      }
    }
  }
}

struct Conv {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Conv";
    s.op_type = "Conv";
    s.inputs = {io(FloatTypes::mask), io(FloatTypes::mask), io(FloatTypes::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(FloatTypes::mask)};
    return s;
  }
  explicit Conv(const Node& node) : attrs(node), group(node.attr_int("group", 1)) {}

  Window window(const std::vector<int64_t>& x, const std::vector<int64_t>& weight) const {
    if (x.size() < 3 || weight.size() != x.size()) fail_invalid(attrs.label + ": X and W must have the same rank >= 3");
    return attrs.resolve(spatial_dims(x), spatial_dims(weight));
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0), weight = ctx.input(1);
    if (!x.has_rank || !weight.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    const Window w = Conv(node).window(x.dims, weight.dims);
    std::vector<int64_t> out = {x.dims[0], weight.dims[0]};
    out.insert(out.end(), w.out.begin(), w.out.end());
    ctx.set_output(0, x.dtype, out);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), weight = ctx.input(1), y = ctx.output(0);
    const std::vector<int64_t> xd = x.shape(), wd = weight.shape(), in = spatial_dims(xd);
    const int64_t batch = xd[0], channels = xd[1], maps = wd[0];
    if (group <= 0 || channels % group || maps % group || wd[1] * group != channels)
      fail_invalid("Conv: group " + std::to_string(group) + " does not fit " + std::to_string(channels) + " input and " +
                   std::to_string(maps) + " output channels (W has " + std::to_string(wd[1]) + " per group)");
    const Window w = window(xd, wd);
    if (w.kernel != spatial_dims(wd)) fail_invalid(attrs.label + ": kernel_shape does not match W's spatial dims");
    if (ctx.has_input(2) && ctx.input(2).numel() != maps)
      fail_invalid(attrs.label + ": B has " + std::to_string(ctx.input(2).numel()) + " values for " + std::to_string(maps) + " output channels");
    const int64_t cg = channels / group, mg = maps / group;
    const int64_t kernel_size = product(w.kernel), out_size = product(w.out), in_size = product(in);
    bool pointwise = kernel_size == 1;
    for (size_t d = 0; d < w.rank(); ++d) pointwise = pointwise && w.strides[d] == 1 && w.pad_begin[d] == 0 && w.pad_end[d] == 0;
    FloatTypes::dispatch(x.dtype(), "Conv", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const std::vector<C> xv = values_as<C>(x, "Conv"), wv = values_as<C>(weight, "Conv");
      const std::vector<C> bias = ctx.has_input(2) ? values_as<C>(ctx.input(2), "Conv") : std::vector<C>();
      std::vector<C> cols(pointwise ? 0 : static_cast<size_t>(cg * kernel_size * out_size));
      std::vector<C> out(static_cast<size_t>(maps * out_size));
      T* py = y.data<T>();
      for (int64_t n = 0; n < batch; ++n) {
        for (int64_t g = 0; g < group; ++g) {
          const C* image = xv.data() + (n * channels + g * cg) * in_size;
          if (!pointwise) im2col(image, in, w, cg, cols.data());
          gemm<C>(mg, out_size, cg * kernel_size, wv.data() + g * mg * cg * kernel_size, cg * kernel_size, false,
                  pointwise ? image : cols.data(), out_size, false, out.data() + g * mg * out_size, out_size, false);
        }
        for (int64_t m = 0; m < maps; ++m)
          for (int64_t o = 0; o < out_size; ++o)
            py[(n * maps + m) * out_size + o] = static_cast<T>(out[m * out_size + o] + (bias.empty() ? C(0) : bias[m]));
      }
    });
  }
  WindowAttrs attrs;
  int64_t group;
};

}  // namespace

const kiln_kernel_desc* conv_kernel() { return describe<Conv>(); }

}  // namespace kiln::cpu_ref
