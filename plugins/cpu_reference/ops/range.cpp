// Range: start, start + delta, ... up to (excluding) limit; max(ceil((limit - start) / delta), 0) elements.
#include <cmath>

#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

using RangeTypes = DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_INT16, KILN_DTYPE_INT32, KILN_DTYPE_INT64>;

// The scalar of input `index` as double (values must be known).
double scalar_of(const ValueInfo& v) {
  double out = 0;
  RangeTypes::dispatch(v.dtype, "Range", [&](auto tag) { out = static_cast<double>(*v.as<decltype(tag)>()); });
  return out;
}

int64_t range_count(double start, double limit, double delta) {
  if (delta == 0) fail_invalid("Range: delta must not be 0");
  const double count = std::ceil((limit - start) / delta);
  if (std::isnan(count) || count >= 4.6e18) fail_invalid("Range: the range holds too many elements (or is not finite)");
  return count <= 0 ? 0 : static_cast<int64_t>(count);
}

struct Range {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Range";
    s.op_type = "Range";
    s.opset_min = 11;
    s.inputs = {io(RangeTypes::mask), io(RangeTypes::mask), io(RangeTypes::mask)};
    s.outputs = {io(RangeTypes::mask)};
    return s;
  }
  explicit Range(const Node&) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo start = ctx.input(0), limit = ctx.input(1), delta = ctx.input(2);
    if (!start.data || !limit.data || !delta.data) return ctx.set_output(0, start.dtype, {-1});
    ctx.set_output(0, start.dtype, {range_count(scalar_of(start), scalar_of(limit), scalar_of(delta))});
  }
  void execute(ExecContext& ctx) {
    const Tensor y = ctx.output(0);
    RangeTypes::dispatch(y.dtype(), "Range", [&](auto tag) {
      using T = decltype(tag);
      const T start = *ctx.input(0).data<T>(), delta = *ctx.input(2).data<T>();
      T* out = y.data<T>();
      for (int64_t i = 0; i < y.numel(); ++i) out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    });
  }
};

}  // namespace

const kiln_kernel_desc* range_kernel() { return describe<Range>(); }

}  // namespace kiln::cpu_ref
