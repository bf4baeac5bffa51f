// CumSum: running sums along the axis given by a 0-D (or one-element) input, optionally exclusive (each
// output leaves out its own element) and/or reversed (sums run from the end). Floats accumulate in double;
// integers in uint64, whose wraparound is defined and, cast back, equals the type's own modulo arithmetic.
#include <type_traits>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

using CumSumTypes = DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_FLOAT16, KILN_DTYPE_INT32,
                             KILN_DTYPE_INT64, KILN_DTYPE_UINT32, KILN_DTYPE_UINT64>;

struct CumSum {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.CumSum";
    s.op_type = "CumSum";
    s.opset_min = 11;
    s.inputs = {io(CumSumTypes::mask), io(KILN_DTYPE_BIT(KILN_DTYPE_INT32) | KILN_DTYPE_BIT(KILN_DTYPE_INT64))};
    s.outputs = {io(CumSumTypes::mask)};
    return s;
  }
  explicit CumSum(const Node& node)
      : exclusive(node.attr_int("exclusive", 0) != 0), reverse(node.attr_int("reverse", 0) != 0) {}

  static void infer(const Node&, InferContext& ctx) { infer_same_as_input(ctx); }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> axis_values = ctx.input(1).int_values();
    if (axis_values.size() != 1) fail_invalid("CumSum: axis must hold exactly one value");
    const std::vector<int64_t> dims = x.shape();
    const size_t a = static_cast<size_t>(normalize_axis(axis_values[0], x.rank(), "CumSum"));
    const int64_t outer = span_size(dims, 0, a), n = dims[a], inner = span_size(dims, a + 1, dims.size());
    CumSumTypes::dispatch(x.dtype(), "CumSum", [&](auto tag) {
      using T = decltype(tag);
      using A = std::conditional_t<std::is_integral_v<T>, uint64_t, double>;
      const T* in = x.data<T>();
      T* out = y.data<T>();
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          A sum = 0;
          for (int64_t step = 0; step < n; ++step) {
            const int64_t k = reverse ? n - 1 - step : step;
            const int64_t at = (o * n + k) * inner + i;
            const A value = static_cast<A>(static_cast<compute_type_t<T>>(in[at]));
            if (!exclusive) sum += value;
            out[at] = static_cast<T>(static_cast<compute_type_t<T>>(sum));
            if (exclusive) sum += value;
          }
        }
    });
  }

  bool exclusive, reverse;
};

}  // namespace

const kiln_kernel_desc* cum_sum_kernel() { return describe<CumSum>(); }

}  // namespace kiln::cpu_ref
