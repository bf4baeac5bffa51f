// The reference convolution, shared by Conv and the fused ConvFused: the node's attributes, the output shape,
// the checks of X and W against each other, and the im2col + GEMM loop that yields each image's output
// before any bias (the caller's epilogue adds the bias and whatever else and stores it).
#ifndef KILN_CPU_REF_CONV_CORE_HPP
#define KILN_CPU_REF_CONV_CORE_HPP

#include <algorithm>
#include <string>
#include <vector>

#include "common/gemm.hpp"
#include "common/shape_util.hpp"
#include "common/window.hpp"

namespace kiln::cpu_ref {

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

// One convolution's geometry, checked: X [batch, channels, in...], W [maps, channels / group, kernel...].
struct ConvShape {
  Window w;
  std::vector<int64_t> in;  // X's spatial dims
  int64_t batch = 0, channels = 0, maps = 0, group = 1, cg = 0, mg = 0, kernel_size = 0, out_size = 0, in_size = 0;
  bool pointwise = false;  // 1x1, stride 1, unpadded: W multiplies X directly, without im2col
};

// Conv's attributes as the node gives them.
struct ConvAttrs {
  explicit ConvAttrs(const Node& node) : attrs(node), group(node.attr_int("group", 1)) {}

  Window window(const std::vector<int64_t>& x, const std::vector<int64_t>& weight) const {
    if (x.size() < 3 || weight.size() != x.size()) fail_invalid(attrs.label + ": X and W must have the same rank >= 3");
    return attrs.resolve(spatial_dims(x), spatial_dims(weight));
  }
  // Y's dims: [batch, maps, out...] (unknown dims stay -1).
  std::vector<int64_t> output_dims(const std::vector<int64_t>& x, const std::vector<int64_t>& weight) const {
    const Window w = window(x, weight);
    std::vector<int64_t> out = {x[0], weight[0]};
    out.insert(out.end(), w.out.begin(), w.out.end());
    return out;
  }
  // Output 0 from inputs 0 (X) and 1 (W).
  void infer(InferContext& ctx) const {
    const ValueInfo x = ctx.input(0), weight = ctx.input(1);
    if (!x.has_rank || !weight.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    ctx.set_output(0, x.dtype, output_dims(x.dims, weight.dims));
  }

  ConvShape shape(const std::vector<int64_t>& xd, const std::vector<int64_t>& wd) const {
    ConvShape s;
    s.w = window(xd, wd);
    s.in = spatial_dims(xd);
    s.batch = xd[0], s.channels = xd[1], s.maps = wd[0], s.group = group;
    if (group <= 0 || s.channels % group || s.maps % group || wd[1] * group != s.channels)
      fail_invalid("Conv: group " + std::to_string(group) + " does not fit " + std::to_string(s.channels) +
                   " input and " + std::to_string(s.maps) + " output channels (W has " + std::to_string(wd[1]) + " per group)");
    if (s.w.kernel != spatial_dims(wd)) fail_invalid(attrs.label + ": kernel_shape does not match W's spatial dims");
    s.cg = s.channels / group, s.mg = s.maps / group;
    s.kernel_size = product(s.w.kernel), s.out_size = product(s.w.out), s.in_size = product(s.in);
    s.pointwise = s.kernel_size == 1;
    for (size_t d = 0; d < s.w.rank(); ++d)
      s.pointwise = s.pointwise && s.w.strides[d] == 1 && s.w.pad_begin[d] == 0 && s.w.pad_end[d] == 0;
    return s;
  }
  void check_bias(const ConvShape& s, int64_t count) const {
    if (count != s.maps)
      fail_invalid(attrs.label + ": B has " + std::to_string(count) + " values for " + std::to_string(s.maps) + " output channels");
  }

  WindowAttrs attrs;
  int64_t group;
};

// Convolves each image n of x with weight and calls epilogue(n, out), out being that image's [maps, out_size]
// result before the bias, in a buffer the epilogue may modify.
template <class C, class Epilogue>
void convolve(const ConvShape& s, const C* x, const C* weight, Epilogue&& epilogue) {
  std::vector<C> cols(s.pointwise ? 0 : static_cast<size_t>(s.cg * s.kernel_size * s.out_size));
  std::vector<C> out(static_cast<size_t>(s.maps * s.out_size));
  const int64_t depth = s.cg * s.kernel_size;
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t g = 0; g < s.group; ++g) {
      const C* image = x + (n * s.channels + g * s.cg) * s.in_size;
      if (!s.pointwise) im2col(image, s.in, s.w, s.cg, cols.data());
      gemm<C>(s.mg, s.out_size, depth, weight + g * s.mg * depth, depth, false, s.pointwise ? image : cols.data(),
              s.out_size, false, out.data() + g * s.mg * s.out_size, s.out_size, false);
    }
    epilogue(n, out.data());
  }
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_CONV_CORE_HPP
