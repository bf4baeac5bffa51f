// Where: out = cond ? x : y, all three broadcast together.
#include <cstdint>

#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

// Selects elements of `Word` (the dtype's size: values are copied, never interpreted). The condition is read
// as bytes, nonzero meaning true, so no bool holds a value other than 0 or 1.
template <class Word>
void select(const Tensor& c, const Tensor& x, const Tensor& y, const Tensor& z) {
  const auto* cond = c.data<uint8_t>();
  const Word* px = x.data<Word>();
  const Word* py = y.data<Word>();
  Word* out = z.data<Word>();
  for_each_broadcast_row<3>(z.shape(), {c.shape(), x.shape(), y.shape()},
                            [&](int64_t base, int64_t count, const std::array<int64_t, 3>& at, const std::array<int64_t, 3>& steps) {
                              for (int64_t j = 0; j < count; ++j)
                                out[base + j] = cond[at[0] + j * steps[0]] != 0 ? px[at[1] + j * steps[1]] : py[at[2] + j * steps[2]];
                            });
}

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
    if (x.dtype() != y.dtype() || z.dtype() != x.dtype())
      fail_invalid(std::string("Where: X is ") + dtype_name(x.dtype()) + " but Y is " + dtype_name(y.dtype()));
    if (c.dtype() != KILN_DTYPE_BOOL) fail_invalid(std::string("Where: condition is ") + dtype_name(c.dtype()) + ", not bool");
    switch (dtype_size(z.dtype())) {
      case 1: return select<uint8_t>(c, x, y, z);
      case 2: return select<uint16_t>(c, x, y, z);
      case 4: return select<uint32_t>(c, x, y, z);
      case 8: return select<uint64_t>(c, x, y, z);
      default: fail_unsupported(std::string("Where: dtype ") + dtype_name(z.dtype()) + " is not supported");
    }
  }
};

}  // namespace

const kiln_kernel_desc* where_kernel() { return describe<Where>(); }

}  // namespace kiln::cpu_ref
