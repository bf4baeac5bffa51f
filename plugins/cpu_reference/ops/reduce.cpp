// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp,
// ReduceSumSquare. Axes are an attribute until the op moved them to an optional input (ReduceSum at opset 13,
// the others at 18); empty axes reduce everything unless noop_with_empty_axes. ReduceMax/ReduceMin also take
// bool (opset 20). Reducing an empty set gives the op's identity (0, 1, -inf for max, ...), as ONNX says.
//
// Accumulators: double for floats; 64-bit integers for integers, adding and multiplying with wraparound
// (through uint64, where it is defined) so that an overflow gives the type's modulo result, never UB.
#include "common/reduce.hpp"

#include <cmath>
#include <limits>
#include <type_traits>

#include "common/elementwise.hpp"
#include "common/nn_values.hpp"

namespace kiln::cpu_ref {
namespace {

template <class T> using default_acc_t =
    std::conditional_t<std::is_integral_v<T>, std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>, double>;

template <class A> A add(A a, A b) {
  if constexpr (std::is_integral_v<A>)
    return static_cast<A>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else
    return a + b;
}
template <class A> A mul(A a, A b) {
  if constexpr (std::is_integral_v<A>)
    return static_cast<A>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else
    return a * b;
}
template <class A> A magnitude(A v) { return v < A(0) ? mul(v, A(-1)) : v; }

template <class Op> struct ReduceKernel {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = std::string("kiln.cpu_ref.") + Op::kName;
    s.op_type = Op::kName;
    s.opset_min = 1;
    s.inputs = {io(Op::Types::mask), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL)};
    s.outputs = {io(Op::Types::mask)};
    return s;
  }
  explicit ReduceKernel(const Node& node)
      : axes_from_input(node.opset() >= Op::kAxesInputSince),
        attr_axes(node.attr_ints("axes", {})),
        keepdims(node.attr_int("keepdims", 1) != 0),
        noop_when_empty(node.attr_int("noop_with_empty_axes", 0) != 0) {}

  static void infer(const Node& node, InferContext& ctx) {
    const ReduceKernel k(node);
    const ValueInfo x = ctx.input(0);
    std::vector<int64_t> axes;
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    if (!k.axes(ctx, axes)) {
      // Axes not known yet: with keepdims the rank still is.
      if (k.keepdims) return ctx.set_output(0, x.dtype, std::vector<int64_t>(x.dims.size(), -1));
      return ctx.set_output_unknown_rank(0, x.dtype);
    }
    ctx.set_output(0, x.dtype,
                   reduced_shape(x.dims, reduced_dims(axes, x.rank(), k.noop_when_empty, Op::kName), k.keepdims));
  }
  bool axes(const InferContext& ctx, std::vector<int64_t>& out) const {
    if (!axes_from_input) return out = attr_axes, true;
    return !ctx.has_input(1) || known_ints(ctx, 1, out);
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> axes =
        axes_from_input ? (ctx.has_input(1) ? ctx.input(1).int_values() : std::vector<int64_t>{}) : attr_axes;
    const std::vector<bool> reduced = reduced_dims(axes, x.rank(), noop_when_empty, Op::kName);
    Op::Types::dispatch(x.dtype(), Op::kName, [&](auto tag) {
      using T = decltype(tag);
      using A = typename Op::template Acc<T>;
      std::vector<A> acc(static_cast<size_t>(y.numel()), Op::template init<A>());
      std::vector<int64_t> counts(acc.size(), 0);
      const T* in = x.data<T>();
      for_each_reduced(x.shape(), reduced, [&](int64_t i, int64_t o) {
        acc[o] = Op::step(acc[o], static_cast<A>(static_cast<compute_type_t<T>>(in[i])));
        ++counts[o];
      });
      T* out = y.data<T>();
      for (size_t o = 0; o < acc.size(); ++o)
        out[o] = static_cast<T>(value_cast<compute_type_t<T>>(Op::finish(acc[o], counts[o])));
    });
  }

  bool axes_from_input;
  std::vector<int64_t> attr_axes;
  bool keepdims, noop_when_empty;
};

using ReduceTypes = NumericTypes;

// Each op: its name, when axes became an input, the start value, one step, and the final touch.
// clang-format off
#define KILN_REDUCE_OP(Name, axes_input_since, init_value, step_expr, finish_expr)          \
  struct Name {                                                                          \
    static constexpr const char* kName = #Name;                                          \
    static constexpr int kAxesInputSince = axes_input_since;                             \
    using Types = ReduceTypes;                                                           \
    template <class T> using Acc = default_acc_t<T>;                                     \
    template <class A> static A init() { return init_value; }                            \
    template <class A> static A step(A acc, A v) { return step_expr; }                   \
    template <class A> static A finish(A acc, int64_t n) { (void)n; return finish_expr; } \
  };
// clang-format on

KILN_REDUCE_OP(ReduceSum, 13, A(0), add(acc, v), acc)
KILN_REDUCE_OP(ReduceMean, 18, A(0), add(acc, v), n ? A(acc / A(n)) : value_cast<A>(NAN))
KILN_REDUCE_OP(ReduceProd, 18, A(1), mul(acc, v), acc)
KILN_REDUCE_OP(ReduceL1, 18, A(0), add(acc, magnitude(v)), acc)
KILN_REDUCE_OP(ReduceL2, 18, A(0), add(acc, mul(v, v)), value_cast<A>(std::sqrt(static_cast<double>(acc))))
KILN_REDUCE_OP(ReduceSumSquare, 18, A(0), add(acc, mul(v, v)), acc)
KILN_REDUCE_OP(ReduceLogSum, 18, A(0), add(acc, v), value_cast<A>(std::log(static_cast<double>(acc))))
#undef KILN_REDUCE_OP

// Max and min propagate NaN; their identity is -inf / +inf for floats, the type's extreme for integers and bool.
using ExtremeTypes = DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_FLOAT16, KILN_DTYPE_INT8,
                              KILN_DTYPE_INT16, KILN_DTYPE_INT32, KILN_DTYPE_INT64, KILN_DTYPE_UINT8, KILN_DTYPE_UINT16,
                              KILN_DTYPE_UINT32, KILN_DTYPE_UINT64, KILN_DTYPE_BOOL>;
template <class A> A lowest() {
  return std::numeric_limits<A>::has_infinity ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::lowest();
}
template <class A> A highest() {
  return std::numeric_limits<A>::has_infinity ? std::numeric_limits<A>::infinity() : std::numeric_limits<A>::max();
}

struct ReduceMax {
  static constexpr const char* kName = "ReduceMax";
  static constexpr int kAxesInputSince = 18;
  using Types = ExtremeTypes;
  template <class T> using Acc = default_acc_t<T>;
  template <class A> static A init() { return lowest<A>(); }
  template <class A> static A step(A acc, A v) { return (v > acc || v != v) ? v : acc; }
  template <class A> static A finish(A acc, int64_t) { return acc; }
};

struct ReduceMin {
  static constexpr const char* kName = "ReduceMin";
  static constexpr int kAxesInputSince = 18;
  using Types = ExtremeTypes;
  template <class T> using Acc = default_acc_t<T>;
  template <class A> static A init() { return highest<A>(); }
  template <class A> static A step(A acc, A v) { return (v < acc || v != v) ? v : acc; }
  template <class A> static A finish(A acc, int64_t) { return acc; }
};

// log(sum(exp(x))) as a running log-add-exp, which never overflows: acc' = max + log1p(exp(min - max)).
// Always in double, also for integer inputs (ONNX takes the log of the exact sum, then casts).
struct ReduceLogSumExp {
  static constexpr const char* kName = "ReduceLogSumExp";
  static constexpr int kAxesInputSince = 18;
  using Types = ReduceTypes;
  template <class T> using Acc = double;
  template <class A> static A init() { return -std::numeric_limits<A>::infinity(); }
  template <class A> static A step(A acc, A v) {
    if (v != v || acc != acc) return std::numeric_limits<A>::quiet_NaN();
    const A high = std::max(acc, v), low = std::min(acc, v);
    if (high == -std::numeric_limits<A>::infinity()) return high;
    return high + std::log1p(std::exp(low - high));
  }
  template <class A> static A finish(A acc, int64_t) { return acc; }
};

}  // namespace

const kiln_kernel_desc* reduce_sum_kernel() { return describe<ReduceKernel<ReduceSum>>(); }
const kiln_kernel_desc* reduce_mean_kernel() { return describe<ReduceKernel<ReduceMean>>(); }
const kiln_kernel_desc* reduce_prod_kernel() { return describe<ReduceKernel<ReduceProd>>(); }
const kiln_kernel_desc* reduce_max_kernel() { return describe<ReduceKernel<ReduceMax>>(); }
const kiln_kernel_desc* reduce_min_kernel() { return describe<ReduceKernel<ReduceMin>>(); }
const kiln_kernel_desc* reduce_l1_kernel() { return describe<ReduceKernel<ReduceL1>>(); }
const kiln_kernel_desc* reduce_l2_kernel() { return describe<ReduceKernel<ReduceL2>>(); }
const kiln_kernel_desc* reduce_sum_square_kernel() { return describe<ReduceKernel<ReduceSumSquare>>(); }
const kiln_kernel_desc* reduce_log_sum_kernel() { return describe<ReduceKernel<ReduceLogSum>>(); }
const kiln_kernel_desc* reduce_log_sum_exp_kernel() { return describe<ReduceKernel<ReduceLogSumExp>>(); }

}  // namespace kiln::cpu_ref
