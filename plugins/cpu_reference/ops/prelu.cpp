// PRelu: y = x < 0 ? slope * x : x, the slope broadcasting to x's shape (unidirectionally, opset 7 on; before,
// a one-element slope is shared and a [C] slope is per channel, along axis 1).
#include <type_traits>

#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

// float since opset 7; the 32/64-bit integers since opset 9.
using PReluTypes = DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_FLOAT16, KILN_DTYPE_INT32, KILN_DTYPE_INT64,
                            KILN_DTYPE_UINT32, KILN_DTYPE_UINT64>;

template <class C> C prelu(C x, C slope) {
  if constexpr (std::is_unsigned_v<C>) return x;  // never negative
  else return x < C(0) ? wrapping_mul(slope, x) : x;
}

// The dims the slope broadcasts with.
std::vector<int64_t> slope_dims(int opset, const std::vector<int64_t>& x, const std::vector<int64_t>& slope) {
  if (opset >= 7) return slope;
  if (product(slope) == 1) return {};
  if (slope.size() == 1 && x.size() >= 2 && slope[0] == x[1]) {
    std::vector<int64_t> per_channel(x.size(), 1);
    per_channel[1] = slope[0];
    return per_channel;
  }
  return slope;
}

struct PRelu {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.PRelu";
    s.op_type = "PRelu";
    s.opset_min = 1;
    s.inputs = {io(PReluTypes::mask), io(PReluTypes::mask)};
    s.outputs = {io(PReluTypes::mask)};
    return s;
  }
  explicit PRelu(const Node& node) : opset(node.opset()) {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0), slope = ctx.input(1);
    if (!x.has_rank) {
      ctx.set_output_unknown_rank(0, x.dtype);
      return;
    }
    if (slope.shape_known() && x.shape_known()) require_broadcastable(slope_dims(node.opset(), x.dims, slope.dims), x.dims);
    ctx.set_output(0, x.dtype, x.dims);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), slope = ctx.input(1), y = ctx.output(0);
    if (slope.dtype() != x.dtype())
      fail_invalid(std::string("PRelu: slope is ") + dtype_name(slope.dtype()) + ", X is " + dtype_name(x.dtype()));
    PReluTypes::dispatch(x.dtype(), "PRelu", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const T* px = x.data<T>();
      const T* ps = slope.data<T>();
      T* out = y.data<T>();
      for_each_broadcast_row<2>(x.shape(), {x.shape(), slope_dims(opset, x.shape(), slope.shape())},
                                [&](int64_t base, int64_t count, const std::array<int64_t, 2>& at,
                                    const std::array<int64_t, 2>& steps) {
                                  for_each_in_row2(count, steps[0], steps[1], [&](int64_t j, int64_t ix, int64_t is) {
                                    out[base + j] = static_cast<T>(
                                        prelu(static_cast<C>(px[at[0] + ix]), static_cast<C>(ps[at[1] + is])));
                                  });
                                });
    });
  }
  int opset;
};

}  // namespace

const kiln_kernel_desc* prelu_kernel() { return describe<PRelu>(); }

}  // namespace kiln::cpu_ref
