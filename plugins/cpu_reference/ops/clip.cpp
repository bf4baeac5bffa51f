// Clip: y = min(max(x, lo), hi); bounds are attributes before opset 11 and optional scalar inputs after.
#include <algorithm>
#include <limits>
#include <type_traits>

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
      // Clip-6's defaults are the float range, not infinities: ONNX clips +-inf to +-FLT_MAX there.
      lo_attr = node.attr_float("min", std::numeric_limits<float>::lowest());
      hi_attr = node.attr_float("max", std::numeric_limits<float>::max());
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
        lo = from_attr<C>(lo_attr);
        hi = from_attr<C>(hi_attr);
      } else {
        bound<T>(ctx, 1, "min", lo);
        bound<T>(ctx, 2, "max", hi);
      }
      const T* in = x.data<T>();
      T* out = y.data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        const C v = static_cast<C>(in[i]);
        out[i] = static_cast<T>(std::min(std::max(v, lo), hi));  // lo > hi gives hi, as the spec says
      }
    });
  }
  // A float attribute bound in compute type C (integers saturate: Clip-6 bounds may exceed their range).
  template <class C> static C from_attr(float bound) {
    if constexpr (std::is_integral_v<C>) return saturate_cast<C>(bound);
    else return static_cast<C>(bound);
  }
  // Reads optional bound input `index` into `value` when given: a one-element tensor of X's type.
  template <class T, class C>
  static void bound(const ExecContext& ctx, int index, const char* what, C& value) {
    if (!ctx.has_input(index)) return;
    const Tensor b = ctx.input(index);
    if (b.dtype() != ctx.input(0).dtype())
      fail_invalid(std::string("Clip: ") + what + " is " + dtype_name(b.dtype()) + ", input is " + dtype_name(ctx.input(0).dtype()));
    if (b.numel() != 1) fail_invalid(std::string("Clip: ") + what + " must hold one value, got " + std::to_string(b.numel()));
    value = static_cast<C>(*b.data<T>());
  }
  int opset;
  float lo_attr = 0, hi_attr = 0;
};

}  // namespace

const kiln_kernel_desc* clip_kernel() { return describe<Clip>(); }

}  // namespace kiln::cpu_ref
