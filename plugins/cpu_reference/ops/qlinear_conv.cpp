// QLinearConv and ConvInteger: Conv (common/conv_core.hpp: pads, strides, dilations, group, auto_pad) on
// integers less their zero points, accumulated exactly in int64 and wrapped to int32 as ONNX's int32 result;
// padding contributes zero, i.e. x's zero point before centering. ConvInteger returns that int32;
// QLinearConv adds its int32 bias B and requantizes as ONNX's reference does:
//   y = saturate(round_half_even(float64(acc) * (x_scale * w_scale / y_scale) + y_zero_point)),
// the multiplier computed in the scales' dtype. x's and y's scale and zero point are per tensor; w's are per
// tensor or per output channel (1-D of M).
#include <algorithm>

#include "common/conv_core.hpp"
#include "common/quantize.hpp"

namespace kiln::cpu_ref {
namespace {

// The convolution of centered x and w, in int64 and wrapped to int32: [batch, maps, out...] before any bias.
std::vector<int32_t> integer_conv(const ConvShape& s, const std::vector<int64_t>& x, const std::vector<int64_t>& w) {
  std::vector<int32_t> y(static_cast<size_t>(s.batch * s.maps * s.out_size));
  convolve(s, x.data(), w.data(), [&](int64_t n, const int64_t* out) {
    std::copy(out, out + s.maps * s.out_size, y.begin() + n * s.maps * s.out_size);
  });
  return y;
}

// Output 0's dims from X and W, with the given dtype.
void infer_conv(const ConvAttrs& conv, InferContext& ctx, int w_input, kiln_dtype dtype) {
  const ValueInfo x = ctx.input(0), w = ctx.input(w_input);
  if (!x.has_rank || !w.has_rank) return ctx.set_output_unknown_rank(0, dtype);
  ctx.set_output(0, dtype, conv.output_dims(x.dims, w.dims));
}

struct ConvInteger {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.ConvInteger";
    s.op_type = "ConvInteger";
    s.opset_min = 10;
    // x, w, x_zero_point, w_zero_point
    s.inputs = {io(Quant8Types::mask), io(Quant8Types::mask), io(Quant8Types::mask, KILN_IO_OPTIONAL),
                io(Quant8Types::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(KILN_DTYPE_BIT(KILN_DTYPE_INT32))};
    return s;
  }
  explicit ConvInteger(const Node& node) : conv(node) {}
  static void infer(const Node& node, InferContext& ctx) { infer_conv(ConvAttrs(node), ctx, 1, KILN_DTYPE_INT32); }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), w = ctx.input(1), x_zero = ctx.input(2), w_zero = ctx.input(3), y = ctx.output(0);
    const ConvShape s = conv.shape(x.shape(), w.shape());
    const std::vector<int64_t> xv = centered(x, ctx.has_input(2) ? &x_zero : nullptr, -1, "ConvInteger x");
    const std::vector<int64_t> wv = centered(w, ctx.has_input(3) ? &w_zero : nullptr, 0, "ConvInteger w");
    const std::vector<int32_t> acc = integer_conv(s, xv, wv);
    std::copy(acc.begin(), acc.end(), y.data<int32_t>());
  }
  ConvAttrs conv;
};

struct QLinearConv {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.QLinearConv";
    s.op_type = "QLinearConv";
    s.opset_min = 10;
    const kiln_io_spec q = io(Quant8Types::mask), scale = io(ScaleTypes::mask);
    // x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B
    s.inputs = {q, scale, io(Quant8Types::mask, KILN_IO_OPTIONAL), q, scale, io(Quant8Types::mask, KILN_IO_OPTIONAL),
                scale, io(Quant8Types::mask, KILN_IO_OPTIONAL), io(KILN_DTYPE_BIT(KILN_DTYPE_INT32), KILN_IO_OPTIONAL)};
    s.outputs = {q};
    return s;
  }
  static std::string check(const Node& node) {
    if (node.input(1).dtype != node.input(4).dtype || node.input(1).dtype != node.input(6).dtype)
      return "the three scales must share one dtype";
    return "";
  }
  explicit QLinearConv(const Node& node) : conv(node) {}
  // Y's dtype is y_zero_point's, else x's.
  static void infer(const Node& node, InferContext& ctx) {
    infer_conv(ConvAttrs(node), ctx, 3, ctx.has_input(7) ? ctx.input(7).dtype : ctx.input(0).dtype);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), x_scale = ctx.input(1), x_zero = ctx.input(2), w = ctx.input(3);
    const Tensor w_scale = ctx.input(4), w_zero = ctx.input(5), y_scale = ctx.input(6), y_zero = ctx.input(7);
    const Tensor y = ctx.output(0);
    const ConvShape s = conv.shape(x.shape(), w.shape());
    const std::vector<int64_t> xv = centered(x, ctx.has_input(2) ? &x_zero : nullptr, -1, "QLinearConv x");
    const std::vector<int64_t> wv = centered(w, ctx.has_input(5) ? &w_zero : nullptr, 0, "QLinearConv w");
    std::vector<int32_t> acc = integer_conv(s, xv, wv);
    if (ctx.has_input(8)) {
      conv.check_bias(s, ctx.input(8).numel());
      const int32_t* bias = ctx.input(8).data<int32_t>();
      for (size_t i = 0; i < acc.size(); ++i)
        acc[i] = static_cast<int32_t>(int64_t{acc[i]} + bias[(static_cast<int64_t>(i) / s.out_size) % s.maps]);
    }

    const std::vector<double> ws = values_as<double>(w_scale, "QLinearConv");
    if (ws.size() != 1 && static_cast<int64_t>(ws.size()) != s.maps)
      fail_invalid("QLinearConv: w_scale must be per tensor or per output channel");
    const double xs = scalar_value(x_scale, "QLinearConv: x_scale"), ys = scalar_value(y_scale, "QLinearConv: y_scale");
    const double zero = ctx.has_input(7) ? scalar_value(y_zero, "QLinearConv: y_zero_point") : 0.0;
    std::vector<double> multiplier(static_cast<size_t>(s.maps));
    for (int64_t m = 0; m < s.maps; ++m) multiplier[m] = scale_ratio(x_scale.dtype(), xs, ws[ws.size() == 1 ? 0 : m], ys);
    Quant8Types::dispatch(y.dtype(), "QLinearConv", [&](auto tag) {
      using Q = decltype(tag);
      Q* out = y.data<Q>();
      for (size_t i = 0; i < acc.size(); ++i)
        out[i] = saturate_round<Q>(static_cast<double>(acc[i]) * multiplier[(static_cast<int64_t>(i) / s.out_size) % s.maps] + zero);
    });
  }
  ConvAttrs conv;
};

}  // namespace

const kiln_kernel_desc* conv_integer_kernel() { return describe<ConvInteger>(); }
const kiln_kernel_desc* q_linear_conv_kernel() { return describe<QLinearConv>(); }

}  // namespace kiln::cpu_ref
