// Elementwise kernels from small functors. An op is a struct with its ONNX name, opset range and dtypes,
// constructed from the node (to read attributes) and called per element in its compute type
// (float16 widens to float):
//
//   struct Neg {
//     static constexpr const char* kName = "Neg";
//     static constexpr int kSince = 6;
//     using Types = SignedTypes;
//     explicit Neg(const Node&) {}
//     template <class C> C operator()(C x) const { return -x; }
//   };
//   const kiln_kernel_desc* neg_kernel() { return describe<UnaryKernel<Neg>>(); }
//
// Optional members: kUntil (last opset, default: all), kOutput (a fixed output dtype such as bool).
#ifndef KILN_CPU_REF_ELEMENTWISE_HPP
#define KILN_CPU_REF_ELEMENTWISE_HPP

#include <string>
#include <type_traits>

#include "common/broadcast.hpp"
#include "common/compute_type.hpp"
#include "common/integer_math.hpp"
#include "kiln/plugin.hpp"

namespace kiln::cpu_ref {

// A set of dtypes a kernel accepts, usable both as a mask and for dispatch.
template <kiln_dtype... Ds>
struct DtypeSet {
  static constexpr uint64_t mask = (uint64_t{0} | ... | KILN_DTYPE_BIT(Ds));
  template <class Fn>
  static void dispatch(kiln_dtype dtype, const char* what, Fn&& fn) {
    kiln::dispatch<Ds...>(dtype, what, std::forward<Fn>(fn));
  }
};

using FloatTypes = DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_FLOAT16>;
using SignedTypes = DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_FLOAT16, KILN_DTYPE_INT8,
                             KILN_DTYPE_INT16, KILN_DTYPE_INT32, KILN_DTYPE_INT64>;
using NumericTypes = DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_FLOAT16, KILN_DTYPE_INT8,
                              KILN_DTYPE_INT16, KILN_DTYPE_INT32, KILN_DTYPE_INT64, KILN_DTYPE_UINT8,
                              KILN_DTYPE_UINT16, KILN_DTYPE_UINT32, KILN_DTYPE_UINT64>;
using IntegerTypes = DtypeSet<KILN_DTYPE_INT8, KILN_DTYPE_INT16, KILN_DTYPE_INT32, KILN_DTYPE_INT64, KILN_DTYPE_UINT8,
                              KILN_DTYPE_UINT16, KILN_DTYPE_UINT32, KILN_DTYPE_UINT64>;
using UnsignedTypes = DtypeSet<KILN_DTYPE_UINT8, KILN_DTYPE_UINT16, KILN_DTYPE_UINT32, KILN_DTYPE_UINT64>;
using BoolTypes = DtypeSet<KILN_DTYPE_BOOL>;
using AllTypes = DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_FLOAT16, KILN_DTYPE_INT8,
                          KILN_DTYPE_INT16, KILN_DTYPE_INT32, KILN_DTYPE_INT64, KILN_DTYPE_UINT8, KILN_DTYPE_UINT16,
                          KILN_DTYPE_UINT32, KILN_DTYPE_UINT64, KILN_DTYPE_BOOL>;

namespace detail {
template <class Op, class = void> struct until { static constexpr int value = 1000; };
template <class Op> struct until<Op, std::void_t<decltype(Op::kUntil)>> { static constexpr int value = Op::kUntil; };
template <class Op, class = void> struct output_dtype { static constexpr kiln_dtype value = KILN_DTYPE_UNDEFINED; };
template <class Op> struct output_dtype<Op, std::void_t<decltype(Op::kOutput)>> {
  static constexpr kiln_dtype value = Op::kOutput;
};
}  // namespace detail

// The spec shared by elementwise kernels: `arity` inputs of Op::Types (the last one variadic when asked).
template <class Op>
KernelSpec elementwise_spec(int arity, bool variadic = false) {
  KernelSpec s;
  s.name = std::string("kiln.cpu_ref.") + Op::kName;
  s.op_type = Op::kName;
  s.opset_min = Op::kSince;
  s.opset_max = detail::until<Op>::value;
  for (int i = 0; i < arity; ++i) s.inputs.push_back(io(Op::Types::mask));
  if (variadic) s.inputs.back().flags |= KILN_IO_VARIADIC;
  constexpr kiln_dtype out = detail::output_dtype<Op>::value;
  s.outputs = {io(out == KILN_DTYPE_UNDEFINED ? Op::Types::mask : KILN_DTYPE_BIT(out))};
  return s;
}

template <class Op, class T>
using op_result_t = std::conditional_t<detail::output_dtype<Op>::value == KILN_DTYPE_BOOL, bool, T>;

// y = op(x)
template <class Op>
struct UnaryKernel {
  static KernelSpec spec() {
    KernelSpec s = elementwise_spec<Op>(1);
    // Element i is read before it is written, so output 0 may be input 0 when the types match.
    if (detail::output_dtype<Op>::value == KILN_DTYPE_UNDEFINED) s.flags |= KILN_KERNEL_INPLACE_0;
    return s;
  }
  explicit UnaryKernel(const Node& node) : op(node) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    constexpr kiln_dtype out = detail::output_dtype<Op>::value;
    const kiln_dtype dtype = out == KILN_DTYPE_UNDEFINED ? x.dtype : out;
    if (x.has_rank) ctx.set_output(0, dtype, x.dims);
    else ctx.set_output_unknown_rank(0, dtype);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    Op::Types::dispatch(x.dtype(), Op::kName, [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      using R = op_result_t<Op, T>;
      const T* in = x.data<T>();
      R* out = y.data<R>();
      const int64_t n = x.numel();
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(op(static_cast<C>(in[i])));
    });
  }
  Op op;
};

// Output shape of broadcasting inputs [0, count).
inline void infer_broadcast(InferContext& ctx, int count, kiln_dtype dtype) {
  std::vector<std::vector<int64_t>> shapes;
  for (int i = 0; i < count; ++i) {
    const ValueInfo v = ctx.input(i);
    if (!v.has_rank) {
      ctx.set_output_unknown_rank(0, dtype);
      return;
    }
    shapes.push_back(v.dims);
  }
  ctx.set_output(0, dtype, broadcast_shapes(shapes));
}

// z = op(a, b) with broadcasting
template <class Op>
struct BinaryKernel {
  static KernelSpec spec() { return elementwise_spec<Op>(2); }
  explicit BinaryKernel(const Node& node) : op(node), legacy(node) {}
  static void infer(const Node& node, InferContext& ctx) {
    constexpr kiln_dtype out = detail::output_dtype<Op>::value;
    const kiln_dtype dtype = out == KILN_DTYPE_UNDEFINED ? ctx.input(0).dtype : out;
    const ValueInfo a = ctx.input(0), b = ctx.input(1);
    if (!a.has_rank || !b.has_rank) ctx.set_output_unknown_rank(0, dtype);
    else ctx.set_output(0, dtype, broadcast_shapes({a.dims, LegacyBroadcast(node).b_dims(a.dims, b.dims)}));
  }
  void execute(ExecContext& ctx) {
    const Tensor a = ctx.input(0), b = ctx.input(1), z = ctx.output(0);
    if (a.dtype() != b.dtype())
      fail_invalid(std::string(Op::kName) + ": inputs have different types (" + dtype_name(a.dtype()) + ", " +
                   dtype_name(b.dtype()) + ")");
    Op::Types::dispatch(a.dtype(), Op::kName, [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      using R = op_result_t<Op, T>;
      const T* pa = a.data<T>();
      const T* pb = b.data<T>();
      R* out = z.data<R>();
      for_each_broadcast_row<2>(z.shape(), {a.shape(), legacy.b_dims(a.shape(), b.shape())},
                                [&](int64_t base, int64_t count, const std::array<int64_t, 2>& at,
                                    const std::array<int64_t, 2>& steps) {
                                  const T* ra = pa + at[0];
                                  const T* rb = pb + at[1];
                                  R* rz = out + base;
                                  for_each_in_row2(count, steps[0], steps[1], [&](int64_t j, int64_t ia, int64_t ib) {
                                    rz[j] = static_cast<R>(op(static_cast<C>(ra[ia]), static_cast<C>(rb[ib])));
                                  });
                                });
    });
  }
  Op op;
  LegacyBroadcast legacy;
};

// Max/Min/Sum/Mean: a left fold of op over any number of broadcast inputs; Op may define finish(acc, count).
template <class Op>
struct VariadicKernel {
  static KernelSpec spec() { return elementwise_spec<Op>(1, true); }
  explicit VariadicKernel(const Node& node) : op(node) {}
  static void infer(const Node&, InferContext& ctx) { infer_broadcast(ctx, ctx.num_inputs(), ctx.input(0).dtype); }
  void execute(ExecContext& ctx) {
    const Tensor z = ctx.output(0);
    const int n = ctx.num_inputs();
    for (int k = 0; k < n; ++k)
      if (ctx.input(k).dtype() != z.dtype())
        fail_invalid(std::string(Op::kName) + ": input " + std::to_string(k) + " is " + dtype_name(ctx.input(k).dtype()) +
                     ", expected " + dtype_name(z.dtype()) + " like the others");
    Op::Types::dispatch(z.dtype(), Op::kName, [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      std::vector<C> acc(static_cast<size_t>(z.numel()));
      for (int k = 0; k < n; ++k) {
        const Tensor x = ctx.input(k);
        const T* px = x.data<T>();
        for_each_broadcast_row<1>(z.shape(), {x.shape()},
                                  [&](int64_t base, int64_t count, const std::array<int64_t, 1>& at,
                                      const std::array<int64_t, 1>& steps) {
                                    C* a = acc.data() + base;
                                    const T* v = px + at[0];
                                    if (k == 0)
                                      for (int64_t j = 0; j < count; ++j) a[j] = static_cast<C>(v[j * steps[0]]);
                                    else
                                      for (int64_t j = 0; j < count; ++j) a[j] = op(a[j], static_cast<C>(v[j * steps[0]]));
                                  });
      }
      T* out = z.data<T>();
      for (size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<T>(op.finish(acc[i], n));
    });
  }
  Op op;
};

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_ELEMENTWISE_HPP
