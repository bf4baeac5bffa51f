// Trilu: keep the upper (j - i >= k) or lower (j - i <= k) triangle of the last two dims, zero the rest.
#include <cstring>

#include "common/element_value.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

struct Trilu {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Trilu";
    s.op_type = "Trilu";
    s.opset_min = 14;
    s.inputs = {io(kEveryDtype), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL)};
    s.outputs = {io(kEveryDtype)};
    return s;
  }
  explicit Trilu(const Node& node) : upper(node.attr_int("upper", 1) != 0) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    if (x.rank() < 2) fail_invalid("Trilu: input must have rank >= 2, got " + std::to_string(x.rank()));
    ctx.set_output(0, x.dtype, x.dims);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    if (x.rank() < 2) fail_invalid("Trilu: input must have rank >= 2, got " + std::to_string(x.rank()));
    int64_t k = 0;
    if (ctx.has_input(1)) {
      const std::vector<int64_t> kv = ctx.input(1).int_values();
      if (kv.size() != 1) fail_invalid("Trilu: k must hold one element");
      k = kv[0];
    }
    if (!y.present() || y.numel() == 0) return;
    const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1);
    const int64_t matrices = x.numel() / (rows * cols);
    const size_t elem = dtype_size(x.dtype());
    const auto* in = static_cast<const uint8_t*>(x.raw());
    auto* out = static_cast<uint8_t*>(y.raw());
    for (int64_t m = 0; m < matrices; ++m)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          const int64_t at = ((m * rows + i) * cols + j) * static_cast<int64_t>(elem);
          const bool keep = upper ? j - i >= k : j - i <= k;
          if (keep) std::memcpy(out + at, in + at, elem);
          else std::memset(out + at, 0, elem);  // all-zero bytes are 0 in every dtype
        }
  }
  bool upper;
};

}  // namespace

const kiln_kernel_desc* trilu_kernel() { return describe<Trilu>(); }

}  // namespace kiln::cpu_ref
