// Clip: y = min(max(x, lo), hi); bounds are attributes before opset 11 and optional scalar inputs after.
#include <algorithm>
#include <limits>

#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

struct Clip {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Clip";
    s.op_type = "Clip";
    s.opset_min = 6;
    s.inputs = {io(NumericTypes::mask), io(NumericTypes::mask, KILN_IO_OPTIONAL), io(NumericTypes::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(NumericTypes::mask)};
    return s;
  }
  explicit Clip(const Node& node) : opset(node.opset()) {
    if (opset < 11) {
      lo_attr = node.attr_float("min", -std::numeric_limits<float>::infinity());
      hi_attr = node.attr_float("max", std::numeric_limits<float>::infinity());
    }
  }
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (x.has_rank) ctx.set_output(0, x.dtype, x.dims);
    else ctx.set_output_unknown_rank(0, x.dtype);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    NumericTypes::dispatch(x.dtype(), "Clip", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      C lo = std::numeric_limits<C>::lowest(), hi = std::numeric_limits<C>::max();
      if (opset < 11) {
        lo = static_cast<C>(std::max<double>(lo_attr, static_cast<double>(lo)));
        hi = static_cast<C>(std::min<double>(hi_attr, static_cast<double>(hi)));
      } else {
        if (ctx.has_input(1)) lo = static_cast<C>(*ctx.input(1).data<T>());
        if (ctx.has_input(2)) hi = static_cast<C>(*ctx.input(2).data<T>());
      }
      const T* in = x.data<T>();
      T* out = y.data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        const C v = static_cast<C>(in[i]);
        out[i] = static_cast<T>(std::min(std::max(v, lo), hi));  // lo > hi gives hi, as the spec says
      }
    });
  }
  int opset;
  float lo_attr = 0, hi_attr = 0;
};

}  // namespace

const kiln_kernel_desc* clip_kernel() { return describe<Clip>(); }

}  // namespace kiln::cpu_ref
