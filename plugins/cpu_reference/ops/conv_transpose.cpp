// ConvTranspose: the adjoint of Conv. Per image and group, a matrix multiply spreads every input pixel over a
// kernel-sized patch (cols = W_g^T * X_g), and col2im adds the patches into the output at stride spacing.
// Geometry: explicit pads, or pads derived from output_shape / auto_pad as the ONNX spec's equations say.
#include <algorithm>
#include <string>

#include "common/gemm.hpp"
#include "common/nn_values.hpp"
#include "common/shape_util.hpp"
#include "common/window.hpp"

namespace kiln::cpu_ref {
namespace {

struct TransposeGeometry {
  std::vector<int64_t> kernel, strides, dilations, pad_begin, out;  // per spatial dim
};

struct ConvTransposeAttrs {
  std::string label, auto_pad;
  std::vector<int64_t> kernel, strides, dilations, pads, output_padding, output_shape;
  int64_t group;

  explicit ConvTransposeAttrs(const Node& node)
      : label("ConvTranspose '" + node.name() + "'"),
        auto_pad(node.attr_string("auto_pad", "NOTSET")),
        kernel(node.attr_ints("kernel_shape", {})),
        strides(node.attr_ints("strides", {})),
        dilations(node.attr_ints("dilations", {})),
        pads(node.attr_ints("pads", {})),
        output_padding(node.attr_ints("output_padding", {})),
        output_shape(node.attr_ints("output_shape", {})),
        group(node.attr_int("group", 1)) {
    if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
      fail_invalid(label + ": unknown auto_pad '" + auto_pad + "'");
    if (group <= 0) fail_invalid(label + ": group must be positive");
  }

  // `in`: input spatial dims (-1 when unknown); `weight_kernel`: W's spatial dims.
  TransposeGeometry resolve(const std::vector<int64_t>& in, const std::vector<int64_t>& weight_kernel) const {
    const size_t n = in.size();
    auto or_default = [&](const std::vector<int64_t>& v, int64_t fallback, const char* what) {
      if (v.empty()) return std::vector<int64_t>(n, fallback);
      if (v.size() != n)
        fail_invalid(label + ": " + what + " has " + std::to_string(v.size()) + " values for " + std::to_string(n) +
                     " spatial dims");
      return v;
    };
    TransposeGeometry g;
    g.kernel = kernel.empty() ? weight_kernel : kernel;
    if (g.kernel.size() != n)
      fail_invalid(label + ": kernel_shape or W does not have " + std::to_string(n) + " spatial dims");
    g.strides = or_default(strides, 1, "strides");
    g.dilations = or_default(dilations, 1, "dilations");
    const std::vector<int64_t> adjust = or_default(output_padding, 0, "output_padding");
    // output_shape may be given with or without the batch and channel dims.
    std::vector<int64_t> target = output_shape;
    if (target.size() == n + 2) target.erase(target.begin(), target.begin() + 2);
    if (!target.empty() && target.size() != n) fail_invalid(label + ": output_shape does not match the spatial dims");
    const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    const bool explicit_pads = target.empty() && !same;
    std::vector<int64_t> p(2 * n, 0);
    if (explicit_pads && auto_pad != "VALID" && !pads.empty()) p = pads;
    if (p.size() != 2 * n) fail_invalid(label + ": pads needs " + std::to_string(2 * n) + " values");
    g.pad_begin.assign(n, 0);
    g.out.assign(n, -1);
    for (size_t d = 0; d < n; ++d) {
      if (g.strides[d] <= 0 || g.dilations[d] <= 0 || g.kernel[d] <= 0)
        fail_invalid(label + ": kernel, strides and dilations must be positive");
      if (explicit_pads) {
        g.pad_begin[d] = p[d];
        if (in[d] >= 0) g.out[d] = full_size(in[d], d, g, adjust) - p[d] - p[d + n];
      } else if (!target.empty() || in[d] >= 0) {
        g.out[d] = target.empty() ? in[d] * g.strides[d] : target[d];
        if (in[d] < 0) continue;
        // An output larger than the full result gets zeros at its end (negative padding counts as none, as
        // onnxruntime and ONNX's reference also do).
        const int64_t total = std::max<int64_t>(0, full_size(in[d], d, g, adjust) - g.out[d]);
        g.pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      }
      if (g.out[d] < -1 || (g.out[d] < 0 && in[d] >= 0))
        fail_invalid(label + ": the output would have a negative size along spatial dim " + std::to_string(d));
    }
    return g;
  }

 private:
  // The output size before any padding is removed: every input pixel's patch, plus output_padding.
  static int64_t full_size(int64_t in, size_t d, const TransposeGeometry& g, const std::vector<int64_t>& adjust) {
    return g.strides[d] * (in - 1) + adjust[d] + (g.kernel[d] - 1) * g.dilations[d] + 1;
  }
};

// Adds patch rows cols[channels * prod(kernel), prod(in)] into image[channels, out...].
template <class C>
void col2im(const C* cols, const std::vector<int64_t>& in, const TransposeGeometry& g, int64_t channels, C* image) {
  const size_t rank = in.size();
  const int64_t in_size = product(in), kernel_size = product(g.kernel), out_size = product(g.out);
  const std::vector<int64_t> out_strides = dense_strides(g.out);
  // For each dim, the output coordinate of (kernel index k, input index i), or -1 outside the output.
  std::vector<std::vector<int64_t>> coord(rank);
  for (size_t d = 0; d < rank; ++d)
    for (int64_t k = 0; k < g.kernel[d]; ++k)
      for (int64_t i = 0; i < in[d]; ++i) {
        const int64_t o = i * g.strides[d] - g.pad_begin[d] + k * g.dilations[d];
        coord[d].push_back(o >= 0 && o < g.out[d] ? o : -1);
      }
  std::vector<int64_t> k_idx(rank), i_idx(rank);
  for (int64_t c = 0; c < channels; ++c) {
    C* plane = image + c * out_size;
    for (int64_t kk = 0; kk < kernel_size; ++kk) {
      for (size_t d = rank, r = static_cast<size_t>(kk); d-- > 0;) {
        k_idx[d] = static_cast<int64_t>(r % static_cast<size_t>(g.kernel[d]));
        r /= static_cast<size_t>(g.kernel[d]);
      }
      const C* row = cols + (c * kernel_size + kk) * in_size;
      std::fill(i_idx.begin(), i_idx.end(), 0);
      for (int64_t i = 0; i < in_size; ++i) {
        int64_t offset = 0;
        bool inside = true;
        for (size_t d = 0; d < rank && inside; ++d) {
          const int64_t o = coord[d][k_idx[d] * in[d] + i_idx[d]];
          inside = o >= 0;
          offset += o * out_strides[d];
        }
        if (inside) plane[offset] += row[i];
        for (size_t d = rank; d-- > 0;) {
          if (++i_idx[d] < in[d]) break;
          i_idx[d] = 0;
        }
      }
    }
  }
}

struct ConvTranspose {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.ConvTranspose";
    s.op_type = "ConvTranspose";
    s.inputs = {io(FloatTypes::mask), io(FloatTypes::mask), io(FloatTypes::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(FloatTypes::mask)};
    return s;
  }
  explicit ConvTranspose(const Node& node) : attrs(node) {}

  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0), weight = ctx.input(1);
    if (!x.has_rank || !weight.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    if (x.rank() < 3 || weight.rank() != x.rank())
      fail_invalid("ConvTranspose '" + node.name() + "': X and W must have the same rank >= 3");
    const ConvTransposeAttrs attrs(node);
    const TransposeGeometry g = attrs.resolve(spatial_dims(x.dims), spatial_dims(weight.dims));
    std::vector<int64_t> out = {x.dims[0], weight.dims[1] < 0 ? -1 : weight.dims[1] * attrs.group};
    out.insert(out.end(), g.out.begin(), g.out.end());
    ctx.set_output(0, x.dtype, out);
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), weight = ctx.input(1), y = ctx.output(0);
    const std::vector<int64_t> xd = x.shape(), wd = weight.shape(), in = spatial_dims(xd);
    if (xd.size() < 3 || wd.size() != xd.size()) fail_invalid(attrs.label + ": X and W must have the same rank >= 3");
    const int64_t batch = xd[0], channels = xd[1], group = attrs.group;
    if (channels % group != 0 || wd[0] != channels)
      fail_invalid(attrs.label + ": W's first dim (" + std::to_string(wd[0]) + ") must equal the input channels (" +
                   std::to_string(channels) + "), divisible by group " + std::to_string(group));
    const TransposeGeometry g = attrs.resolve(in, spatial_dims(wd));
    if (g.kernel != spatial_dims(wd)) fail_invalid(attrs.label + ": kernel_shape does not match W's spatial dims");
    const int64_t cg = channels / group, mg = wd[1], maps = mg * group;
    const int64_t kernel_size = product(g.kernel), in_size = product(in), out_size = product(g.out);
    FloatTypes::dispatch(x.dtype(), "ConvTranspose", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const std::vector<C> xv = values_as<C>(x, "ConvTranspose"), wv = values_as<C>(weight, "ConvTranspose");
      const std::vector<C> bias = ctx.has_input(2) ? values_as<C>(ctx.input(2), "ConvTranspose") : std::vector<C>();
      if (!bias.empty() && static_cast<int64_t>(bias.size()) != maps)
        fail_invalid(attrs.label + ": B has " + std::to_string(bias.size()) + " values for " + std::to_string(maps) +
                     " output channels");
      std::vector<C> cols(static_cast<size_t>(mg * kernel_size * in_size));
      std::vector<C> out(static_cast<size_t>(batch * maps * out_size));
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t gi = 0; gi < group; ++gi) {
          // cols[mg * K, in] = W_g^T * X_g, where W_g is [cg, mg * K] and X_g is [cg, in].
          gemm<C>(mg * kernel_size, in_size, cg, wv.data() + gi * cg * mg * kernel_size, mg * kernel_size, true,
                  xv.data() + (n * channels + gi * cg) * in_size, in_size, false, cols.data(), in_size, false);
          col2im(cols.data(), in, g, mg, out.data() + (n * maps + gi * mg) * out_size);
        }
      if (!bias.empty())
        for (int64_t n = 0; n < batch; ++n)
          for (int64_t m = 0; m < maps; ++m)
            for (int64_t o = 0; o < out_size; ++o) out[(n * maps + m) * out_size + o] += bias[m];
      store_as<T>(out, y);
    });
  }

  ConvTransposeAttrs attrs;
};

}  // namespace

const kiln_kernel_desc* conv_transpose_kernel() { return describe<ConvTranspose>(); }

}  // namespace kiln::cpu_ref
