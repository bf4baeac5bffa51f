// EyeLike: a 2-D tensor shaped like the input with ones on diagonal k (k > 0 above the main one) and zeros
// elsewhere, of dtype `dtype` (default: the input's).
#include <cstring>

#include "common/element_value.hpp"

namespace kiln::cpu_ref {
namespace {

struct EyeLike {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.EyeLike";
    s.op_type = "EyeLike";
    s.opset_min = 9;
    s.inputs = {io(kEveryDtype)};
    s.outputs = {io(kEveryDtype)};
    return s;
  }
  static std::string check(const Node& node) {
    if (!node.has("dtype")) return "";
    const auto d = static_cast<kiln_dtype>(node.attr_int("dtype"));
    return (kEveryDtype & KILN_DTYPE_BIT(d)) ? "" : std::string("output dtype ") + dtype_name(d) + " is not supported";
  }
  explicit EyeLike(const Node& node) : k(node.attr_int("k", 0)) {}
  static kiln_dtype output_dtype(const Node& node, kiln_dtype input) {
    return node.has("dtype") ? static_cast<kiln_dtype>(node.attr_int("dtype")) : input;
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    const kiln_dtype dtype = output_dtype(node, x.dtype);
    if (!x.has_rank) return ctx.set_output(0, dtype, {-1, -1});
    if (x.rank() != 2) fail_invalid("EyeLike: input must be 2-D, got rank " + std::to_string(x.rank()));
    ctx.set_output(0, dtype, x.dims);
  }
  void execute(ExecContext& ctx) {
    const Tensor y = ctx.output(0);
    if (ctx.input(0).rank() != 2) fail_invalid("EyeLike: input must be 2-D");
    if (!y.present() || y.numel() == 0) return;
    const size_t elem = dtype_size(y.dtype());
    const std::vector<uint8_t> one = element_bytes(y.dtype(), 1.0, "EyeLike");
    auto* out = static_cast<uint8_t*>(y.raw());
    std::memset(out, 0, y.bytes());
    const int64_t rows = y.dim(0), cols = y.dim(1);
    if (k >= cols || k <= -rows) return;  // the diagonal misses the matrix (and i + k cannot overflow below)
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t j = i + k;
      if (j >= 0 && j < cols) std::memcpy(out + (i * cols + j) * static_cast<int64_t>(elem), one.data(), elem);
    }
  }
  int64_t k;
};

}  // namespace

const kiln_kernel_desc* eye_like_kernel() { return describe<EyeLike>(); }

}  // namespace kiln::cpu_ref
