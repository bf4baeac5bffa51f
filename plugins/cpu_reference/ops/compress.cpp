// Compress: the slices along `axis` (or the elements of the flattened input, without axis) whose condition is
// true. A condition shorter than the axis drops the slices it does not cover. The output's size depends on the
// condition's data.
#include <cstring>

#include "common/element_value.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

// The indices along a dim of `length` that `condition` (count bools) selects.
std::vector<int64_t> selected(const bool* condition, int64_t count, int64_t length) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < count; ++i) {
    if (!condition[i]) continue;
    if (i >= length)
      fail_invalid("Compress: condition selects index " + std::to_string(i) + " beyond the dim of " + std::to_string(length));
    out.push_back(i);
  }
  return out;
}

struct Compress {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Compress";
    s.op_type = "Compress";
    s.opset_min = 9;
    s.inputs = {io(kEveryDtype), io(KILN_DTYPE_BIT(KILN_DTYPE_BOOL))};
    s.outputs = {io(kEveryDtype)};
    return s;
  }
  explicit Compress(const Node& node) : has_axis(node.has("axis")), axis(node.attr_int("axis", 0)) {}

  // The output shape with `kept` slices (-1 when unknown).
  std::vector<int64_t> output_shape(const std::vector<int64_t>& in, int64_t kept) const {
    if (!has_axis) return {kept};
    std::vector<int64_t> out = in;
    out[normalize_axis(axis, static_cast<int>(in.size()), "Compress")] = kept;
    return out;
  }
  int64_t length(const std::vector<int64_t>& in) const {
    return has_axis ? in[normalize_axis(axis, static_cast<int>(in.size()), "Compress")] : product(in);
  }
  static void infer(const Node& node, InferContext& ctx) {
    const Compress c(node);
    const ValueInfo x = ctx.input(0), cond = ctx.input(1);
    if (!x.has_rank) return c.has_axis ? ctx.set_output_unknown_rank(0, x.dtype) : ctx.set_output(0, x.dtype, {-1});
    int64_t kept = -1;
    if (x.shape_known() && cond.shape_known() && (cond.data || cond.numel() == 0))
      kept = static_cast<int64_t>(selected(cond.as<bool>(), cond.numel(), c.length(x.dims)).size());
    ctx.set_output(0, x.dtype, c.output_shape(x.dims, kept));
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), cond = ctx.input(1), y = ctx.output(0);
    if (cond.rank() != 1) fail_invalid("Compress: condition must be 1-D");
    const std::vector<int64_t> dims = x.shape();
    const std::vector<int64_t> keep = selected(cond.data<bool>(), cond.numel(), length(dims));
    if (!y.present() || y.numel() == 0) return;
    const size_t elem = dtype_size(x.dtype());
    const size_t a = has_axis ? static_cast<size_t>(normalize_axis(axis, x.rank(), "Compress")) : 0;
    const int64_t outer = has_axis ? span_size(dims, 0, a) : 1;
    const int64_t along = length(dims);
    const int64_t inner = (has_axis ? span_size(dims, a + 1, dims.size()) : 1) * static_cast<int64_t>(elem);
    const auto* in = static_cast<const uint8_t*>(x.raw());
    auto* out = static_cast<uint8_t*>(y.raw());
    for (int64_t o = 0; o < outer; ++o)
      for (size_t k = 0; k < keep.size(); ++k)
        std::memcpy(out + (o * static_cast<int64_t>(keep.size()) + static_cast<int64_t>(k)) * inner,
                    in + (o * along + keep[k]) * inner, static_cast<size_t>(inner));
  }
  bool has_axis;
  int64_t axis;
};

}  // namespace

const kiln_kernel_desc* compress_kernel() { return describe<Compress>(); }

}  // namespace kiln::cpu_ref
