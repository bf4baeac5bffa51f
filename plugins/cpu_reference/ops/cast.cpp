// Cast and CastLike: convert every element to another numeric type or bool (semantics in common/convert.hpp).
// Opset 19's `saturate` only concerns float8 targets, which this pack does not support, so it is ignored.
#include "common/convert.hpp"
#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

void cast_tensor(const Tensor& in, const Tensor& out, const char* op) {
  AllTypes::dispatch(in.dtype(), op, [&](auto from) {
    using T = decltype(from);
    AllTypes::dispatch(out.dtype(), op, [&](auto to) {
      using U = decltype(to);
      const T* src = in.data<T>();
      U* dst = out.data<U>();
      for (int64_t i = 0, n = in.numel(); i < n; ++i) dst[i] = convert<U>(src[i]);
    });
  });
}

void infer_cast(InferContext& ctx, kiln_dtype to) {
  const ValueInfo x = ctx.input(0);
  if (x.has_rank) ctx.set_output(0, to, x.dims);
  else ctx.set_output_unknown_rank(0, to);
}

struct Cast {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Cast";
    s.op_type = "Cast";
    s.opset_min = 6;
    s.inputs = {io(AllTypes::mask)};
    s.outputs = {io(AllTypes::mask)};
    return s;
  }
  static std::string check(const Node& node) {
    const kiln_dtype to = static_cast<kiln_dtype>(node.attr_int("to"));
    return AllTypes::mask & KILN_DTYPE_BIT(to) ? "" : std::string("cannot cast to ") + dtype_name(to);
  }
  explicit Cast(const Node&) {}
  static void infer(const Node& node, InferContext& ctx) { infer_cast(ctx, static_cast<kiln_dtype>(node.attr_int("to"))); }
  void execute(ExecContext& ctx) { cast_tensor(ctx.input(0), ctx.output(0), "Cast"); }
};

struct CastLike {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.CastLike";
    s.op_type = "CastLike";
    s.opset_min = 15;
    s.inputs = {io(AllTypes::mask), io(AllTypes::mask)};
    s.outputs = {io(AllTypes::mask)};
    return s;
  }
  explicit CastLike(const Node&) {}
  static void infer(const Node&, InferContext& ctx) { infer_cast(ctx, ctx.input(1).dtype); }
  void execute(ExecContext& ctx) { cast_tensor(ctx.input(0), ctx.output(0), "CastLike"); }
};

}  // namespace

const kiln_kernel_desc* cast_kernel() { return describe<Cast>(); }
const kiln_kernel_desc* cast_like_kernel() { return describe<CastLike>(); }

}  // namespace kiln::cpu_ref
