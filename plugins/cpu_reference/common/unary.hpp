// Shared pieces of elementwise unary kernels: spec, inference and the element loop.
#ifndef KILN_CPU_REF_UNARY_HPP
#define KILN_CPU_REF_UNARY_HPP

#include <string>

#include "common/compute_type.hpp"
#include "kiln/plugin.hpp"

namespace kiln::cpu_ref {

// One input X and one output Y of the same dtype, both from `dtypes`, for opsets [since, max].
inline KernelSpec unary_spec(const std::string& op, int since, uint64_t dtypes, int opset_max = 1000) {
  KernelSpec s;
  s.name = "kiln.cpu_ref." + op;
  s.op_type = op;
  s.opset_min = since;
  s.opset_max = opset_max;
  s.inputs = {io(dtypes)};
  s.outputs = {io(dtypes)};
  return s;
}

// Output 0 has input 0's dtype and shape.
inline void infer_same_as_input0(InferContext& ctx) {
  const ValueInfo x = ctx.input(0);
  if (x.has_rank) ctx.set_output(0, x.dtype, x.dims);
  else ctx.set_output_unknown_rank(0, x.dtype);
}

// y[i] = fn(x[i]) over dtypes Ds. fn receives the compute type (float16 widens to float) and returns it.
template <kiln_dtype... Ds, class Fn>
void map_unary(ExecContext& ctx, const char* op, Fn&& fn) {
  const Tensor x = ctx.input(0);
  const Tensor y = ctx.output(0);
  dispatch<Ds...>(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    using C = compute_type_t<T>;
    const T* in = x.data<T>();
    T* out = y.data<T>();
    const int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(fn(static_cast<C>(in[i])));
  });
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_UNARY_HPP
