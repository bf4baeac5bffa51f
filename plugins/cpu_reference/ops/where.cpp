// Where: out = cond ? x : y, all three broadcast together.
#include <cstring>

#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

struct Where {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Where";
    s.op_type = "Where";
    s.opset_min = 9;
    const uint64_t any = AllTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16);
    s.inputs = {io(KILN_DTYPE_BIT(KILN_DTYPE_BOOL)), io(any), io(any)};
    s.outputs = {io(any)};
    return s;
  }
  explicit Where(const Node&) {}
  static void infer(const Node&, InferContext& ctx) { infer_broadcast(ctx, 3, ctx.input(1).dtype); }
  void execute(ExecContext& ctx) {
    const Tensor c = ctx.input(0), x = ctx.input(1), y = ctx.input(2), z = ctx.output(0);
    const size_t elem = dtype_size(z.dtype());
    const bool* cond = c.data<bool>();
    const auto* px = static_cast<const uint8_t*>(x.raw());
    const auto* py = static_cast<const uint8_t*>(y.raw());
    auto* out = static_cast<uint8_t*>(z.raw());
    for_each_broadcast<3>(z.shape(), {c.shape(), x.shape(), y.shape()}, [&](int64_t i, const std::array<int64_t, 3>& at) {
      std::memcpy(out + i * elem, cond[at[0]] ? px + at[1] * elem : py + at[2] * elem, elem);
    });
  }
};

}  // namespace

const kiln_kernel_desc* where_kernel() { return describe<Where>(); }

}  // namespace kiln::cpu_ref
