// NonZero: the coordinates of the nonzero elements, int64 [rank, count], in row-major order (numpy.nonzero).
// A scalar counts as rank 1, as numpy does. The count depends on the data: known at build time only for
// constants, always at run time.
#include <algorithm>

#include "common/element_value.hpp"

namespace kiln::cpu_ref {
namespace {

// Row-major positions of the nonzero elements of `count` elements at `data`.
std::vector<int64_t> nonzero_positions(const void* data, kiln_dtype dtype, int64_t count) {
  std::vector<int64_t> found;
  dispatch_every_dtype(dtype, "NonZero", [&](auto tag) {
    using T = decltype(tag);
    const T* x = static_cast<const T*>(data);
    for (int64_t i = 0; i < count; ++i)
      if (is_nonzero(x[i])) found.push_back(i);
  });
  return found;
}

struct NonZero {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.NonZero";
    s.op_type = "NonZero";
    s.opset_min = 9;
    s.inputs = {io(kEveryDtype)};
    s.outputs = {io(KILN_DTYPE_BIT(KILN_DTYPE_INT64))};
    return s;
  }
  explicit NonZero(const Node&) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    const int64_t rows = x.has_rank ? std::max(x.rank(), 1) : -1;
    int64_t count = -1;
    if (x.shape_known() && (x.data || x.numel() == 0))
      count = static_cast<int64_t>(nonzero_positions(x.data, x.dtype, x.numel()).size());
    ctx.set_output(0, KILN_DTYPE_INT64, {rows, count});
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> found = nonzero_positions(x.raw(), x.dtype(), x.numel());
    if (!y.present() || found.empty()) return;
    const std::vector<int64_t> dims = x.rank() ? x.shape() : std::vector<int64_t>{1};
    const int64_t n = static_cast<int64_t>(found.size());
    int64_t* out = y.data<int64_t>();
    for (int64_t k = 0; k < n; ++k) {
      int64_t rest = found[static_cast<size_t>(k)];
      for (size_t d = dims.size(); d-- > 0;) {
        out[static_cast<int64_t>(d) * n + k] = rest % dims[d];
        rest /= dims[d];
      }
    }
  }
};

}  // namespace

const kiln_kernel_desc* non_zero_kernel() { return describe<NonZero>(); }

}  // namespace kiln::cpu_ref
