// MaxPool, float32 2-D (kernel, strides, pads, auto_pad, dilations, ceil_mode), without the Indices output. The
// reference kernel visits every tap of every output through N-D index arithmetic; here each kernel tap is one
// pass over an output row whose valid columns are found once (as in im2col), a max the compiler vectorizes.
// Padding never wins (ONNX pads MaxPool with -infinity).
#include <algorithm>
#include <limits>

#include "common/window.hpp"
#include "kiln/plugin.hpp"

namespace kiln::cpu_fast {
namespace {

struct MaxPool {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_fast.MaxPool";
    s.op_type = "MaxPool";
    s.inputs = {io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    s.outputs = {io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32)), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL)};
    return s;
  }
  static std::string check(const Node& node) {
    const ValueInfo x = node.input(0);
    if (!x.has_rank || x.rank() != 4) return "the fast MaxPool is 2-D (X of rank 4); other ranks go to the reference pack";
    if (node.num_outputs() > 1 && node.output(1).present()) return "the Indices output is left to the reference pack";
    if (node.attr_ints("kernel_shape", {}).size() != 2) return "kernel_shape must give 2 dims";
    return "";
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    const cpu_ref::Window w = cpu_ref::WindowAttrs(node).resolve(cpu_ref::spatial_dims(x.dims));
    std::vector<int64_t> out = {x.dims[0], x.dims[1]};
    out.insert(out.end(), w.out.begin(), w.out.end());
    ctx.set_output(0, x.dtype, out);
  }
  explicit MaxPool(const Node& node) : attrs(node) {}

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    if (x.rank() != 4) fail_invalid(attrs.label + ": X must have rank 4");
    const std::vector<int64_t> in = cpu_ref::spatial_dims(x.shape());
    const cpu_ref::Window w = attrs.resolve(in);
    const int64_t h = in[0], wd = in[1], oh = w.out[0], ow = w.out[1], sh = w.strides[0], sw = w.strides[1];
    const int64_t planes = x.dim(0) * x.dim(1);
    for (int64_t plane = 0; plane < planes; ++plane) {
      const float* src = x.data<float>() + plane * h * wd;
      float* dst = y.data<float>() + plane * oh * ow;
      std::fill(dst, dst + oh * ow, -std::numeric_limits<float>::infinity());
      for (int64_t kw = 0; kw < w.kernel[1]; ++kw) {
        // Output columns x with 0 <= x * sw + dx < wd.
        const int64_t dx = kw * w.dilations[1] - w.pad_begin[1];
        const int64_t lo = std::min(ow, dx >= 0 ? 0 : (-dx + sw - 1) / sw);
        const int64_t hi = std::max(lo, std::min(ow, wd - 1 - dx < 0 ? 0 : (wd - 1 - dx) / sw + 1));
        for (int64_t oy = 0; oy < oh; ++oy) {
          float* out = dst + oy * ow;
          for (int64_t kh = 0; kh < w.kernel[0]; ++kh) {
            const int64_t iy = oy * sh - w.pad_begin[0] + kh * w.dilations[0];
            if (iy < 0 || iy >= h) continue;
            const float* row = src + iy * wd + dx;
            if (sw == 1)
              for (int64_t o = lo; o < hi; ++o) out[o] = std::max(out[o], row[o]);
            else
              for (int64_t o = lo; o < hi; ++o) out[o] = std::max(out[o], row[o * sw]);
          }
        }
      }
    }
  }

  cpu_ref::WindowAttrs attrs;
};

}  // namespace

const kiln_kernel_desc* max_pool_kernel() { return describe<MaxPool>(); }

}  // namespace kiln::cpu_fast
