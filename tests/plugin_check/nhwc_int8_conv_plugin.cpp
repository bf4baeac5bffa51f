// A fused INT8 Conv -> Add that takes what the CUDA pack's cuDNN path takes (plugins/cuda/ops/conv_fused_int8.cpp)
// and no more, for the `kiln plugin check` tests (tests/plugin_check/plugin_check.sh): X int8 per tensor with zero
// point 0, X and Y stored NHWC only, 2-D, group 1, pads alike on both sides of each dim, W a float constant
// (its own int8 symmetric grid, per tensor or per output channel, or quantized here per output channel as the
// reference does), a residual of Y's exact shape (int8/uint8 per tensor, or float32; NHWC or linear), Y int8 per
// tensor or float32. The check must draw cases it runs, and compare them:
//   test.good.ConvAddInt8   the reference's arithmetic (docs/quantization.md)          -> PASS
//   test.wrong.ConvAddInt8  reads a quantized residual on X's scale instead of its own -> FAIL
#include <algorithm>
#include <cmath>

#include "int8_test_math.hpp"
#include "kiln/fused.hpp"
#include "kiln/plugin.hpp"

namespace {

constexpr uint64_t kFloat32 = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32);
constexpr uint64_t kInt8 = KILN_DTYPE_BIT(KILN_DTYPE_INT8);
constexpr uint64_t kQuant8 = kInt8 | KILN_DTYPE_BIT(KILN_DTYPE_UINT8);
constexpr uint32_t kNhwc = KILN_LAYOUT_BIT(KILN_LAYOUT_NHWC);
constexpr uint32_t kAnyLayout = kNhwc | KILN_LAYOUT_BIT(KILN_LAYOUT_LINEAR);

// Element (n, c, h, w) of a 4-D tensor, wherever its strides put it (dense: NCHW).
int64_t offset(const kiln::Tensor& t, int64_t n, int64_t c, int64_t h, int64_t w) {
  if (t.dense()) return ((n * t.dim(1) + c) * t.dim(2) + h) * t.dim(3) + w;
  const int64_t* s = t.strides();
  return n * s[0] + c * s[1] + h * s[2] + w * s[3];
}

double value(const kiln::Tensor& t, int64_t at) {
  if (t.dtype() == KILN_DTYPE_FLOAT32) return t.data<float>()[at];
  return t.dtype() == KILN_DTYPE_UINT8 ? t.data<uint8_t>()[at] : t.data<int8_t>()[at];
}

// Why the Conv step is not what cuDNN's int8 convolution takes, or "".
std::string conv_reason(const kiln::Node& conv) {
  const kiln::ValueInfo x = conv.input(0), w = conv.input(1);
  if (x.dtype != KILN_DTYPE_INT8 || !x.quant.per_tensor()) return "X must be int8 quantized per tensor";
  if (x.quant.zero_points[0] != 0) return "X's zero point is " + std::to_string(x.quant.zero_points[0]) + "; symmetric X only";
  if (x.rank() != 4 || w.rank() != 4 || !w.data) return "2-D convolutions with constant W only";
  if (conv.attr_int("group", 1) != 1) return "group 1 only";
  if (conv.attr_string("auto_pad", "NOTSET") != "NOTSET") return "explicit pads only";
  const std::vector<int64_t> pads = conv.attr_ints("pads", {0, 0, 0, 0});
  if (pads[0] != pads[2] || pads[1] != pads[3]) return "asymmetric pads";
  if (conv.has_input(2) && !conv.input(2).data) return "the bias must be a constant";
  const kiln::Quantization& q = w.quant;
  if (q.present() && (q.dtype != KILN_DTYPE_INT8 || !q.symmetric() || (!q.per_tensor() && q.axis != 0)))
    return "W's grid must be int8, symmetric, per tensor or per output channel";
  return "";
}

// Why the Add's other operand is not a residual of Y's shape this kernel reads, or "".
std::string residual_reason(const kiln::ValueInfo& r, const kiln::ValueInfo& y) {
  if (r.data) return "the Add operand is a constant, not a residual";
  if (r.dims != y.dims) return "the residual must have Y's exact shape";
  if (r.dtype == KILN_DTYPE_FLOAT32) return "";
  return r.quant.per_tensor() ? "" : "a quantized residual must be quantized per tensor";
}

// `RightScale`: the residual's reals are (q - zero) * its own scale; otherwise X's scale, the bug to catch.
template <bool RightScale> class ConvAddInt8 {
 public:
  static kiln::KernelSpec spec() {
    kiln::KernelSpec s;
    s.name = RightScale ? "test.good.ConvAddInt8" : "test.wrong.ConvAddInt8";
    s.op_type = "ConvFused";
    s.opset_min = 11;
    s.flags = KILN_KERNEL_QUANTIZED;
    s.inputs = {kiln::io_layouts(kInt8, kNhwc), kiln::io(kFloat32),
                kiln::io_layouts(kFloat32 | kQuant8, kAnyLayout, KILN_IO_OPTIONAL | KILN_IO_VARIADIC)};
    s.outputs = {kiln::io_layouts(kInt8 | kFloat32, kNhwc)};
    s.pattern = {{"", "Conv", -1, 0}, {"", "Add", -1, 0}};
    return s;
  }
  static std::string check(const kiln::Node& node) {
    const std::vector<kiln::FusedStep> steps = kiln::fused_steps(node);
    std::string why = conv_reason(steps[0].node);
    if (why.empty()) why = residual_reason(steps[1].node.input(steps[1].other_input()), node.output(0));
    const kiln::ValueInfo y = node.output(0);
    if (why.empty() && y.dtype == KILN_DTYPE_INT8 && !y.quant.per_tensor()) why = "Y must be quantized per tensor";
    return why;
  }

  explicit ConvAddInt8(const kiln::Node& node) : y_(node.output(0)) {
    const std::vector<kiln::FusedStep> steps = kiln::fused_steps(node);
    const kiln::Node& conv = steps[0].node;
    x_scale_ = conv.input(0).quant.scales[0];
    strides_ = conv.attr_ints("strides", {1, 1});
    dilations_ = conv.attr_ints("dilations", {1, 1});
    pads_ = conv.attr_ints("pads", {0, 0, 0, 0});
    read_weights(conv.input(1));
    if (conv.has_input(2)) bias_.assign(static_cast<const float*>(conv.input(2).data),
                                        static_cast<const float*>(conv.input(2).data) + w_dims_[0]);
    residual_ = steps[1].fused_input(steps[1].other_input());
    const kiln::ValueInfo r = node.input(residual_);
    if (r.dtype != KILN_DTYPE_FLOAT32) {
      r_scale_ = RightScale ? r.quant.scales[0] : x_scale_;
      r_zero_ = r.quant.zero_points[0];
    }
  }

  void execute(kiln::ExecContext& ctx) {
    const kiln::Tensor x = ctx.input(0), r = ctx.input(residual_), y = ctx.output(0);
    for (int64_t n = 0; n < y.dim(0); ++n)
      for (int64_t m = 0; m < y.dim(1); ++m)
        for (int64_t oh = 0; oh < y.dim(2); ++oh)
          for (int64_t ow = 0; ow < y.dim(3); ++ow) {
            const double acc = static_cast<double>(accumulate(x, n, m, oh, ow));
            const double residual = (value(r, offset(r, n, m, oh, ow)) - r_zero_) * r_scale_;
            const double bias = bias_.empty() ? 0.0 : bias_[m];
            store(y, offset(y, n, m, oh, ow), acc * (x_scale_ * w_scale_[m]) + bias + residual);
          }
  }

 private:
  // sum over c, i, j of X's integers times W's, padding contributing 0.
  int64_t accumulate(const kiln::Tensor& x, int64_t n, int64_t m, int64_t oh, int64_t ow) const {
    int64_t acc = 0;
    for (int64_t c = 0; c < w_dims_[1]; ++c)
      for (int64_t i = 0; i < w_dims_[2]; ++i)
        for (int64_t j = 0; j < w_dims_[3]; ++j) {
          const int64_t ih = oh * strides_[0] - pads_[0] + i * dilations_[0];
          const int64_t iw = ow * strides_[1] - pads_[1] + j * dilations_[1];
          if (ih < 0 || ih >= x.dim(2) || iw < 0 || iw >= x.dim(3)) continue;
          acc += x.data<int8_t>()[offset(x, n, c, ih, iw)] * w_[static_cast<size_t>(((m * w_dims_[1] + c) * w_dims_[2] + i) * w_dims_[3] + j)];
        }
    return acc;
  }

  // W's integers: from its own grid, or quantized per output channel as the reference does.
  void read_weights(const kiln::ValueInfo& w) {
    w_dims_ = w.dims;
    kiln_test::ChannelWeights q = kiln_test::channel_weights(static_cast<const float*>(w.data), w_dims_[0],
                                                             w_dims_[1] * w_dims_[2] * w_dims_[3], w.quant);
    w_ = std::move(q.q);
    w_scale_ = std::move(q.scales);
  }

  void store(const kiln::Tensor& y, int64_t at, double real) const { kiln_test::store_real(y, at, real, y_.quant); }

  kiln::ValueInfo y_;
  double x_scale_ = 1, r_scale_ = 1;
  int64_t r_zero_ = 0;
  int residual_ = -1;
  std::vector<int64_t> w_dims_, strides_, dilations_, pads_, w_;
  std::vector<double> w_scale_, bias_;
};

const kiln::KernelFactory kKernels[] = {&kiln::describe<ConvAddInt8<true>>, &kiln::describe<ConvAddInt8<false>>};

}  // namespace

KILN_DEFINE_PLUGIN("kiln.test.nhwc_int8_conv", "1.0.0", "an INT8 Conv -> Add that takes only what cuDNN's int8 path takes",
                   kKernels)
