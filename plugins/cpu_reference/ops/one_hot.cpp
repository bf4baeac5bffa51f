// OneHot: a new axis of size depth where position indices[...] holds values[1] and every other values[0].
// Indices in [-depth, depth) count from the end when negative; any other index gives a row of values[0].
#include <cmath>
#include <cstring>

#include "common/element_value.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr uint64_t kNumeric = NumericTypes::mask;

// depth as an integer; a float depth is truncated, as the reference does.
int64_t depth_from(double d) {
  if (!std::isfinite(d) || d < 1) fail_invalid("OneHot: depth must be a positive number, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

struct OneHot {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.OneHot";
    s.op_type = "OneHot";
    s.opset_min = 9;
    s.inputs = {io(kNumeric), io(kNumeric), io(kEveryDtype)};
    s.outputs = {io(kEveryDtype)};
    return s;
  }
  explicit OneHot(const Node& node) : axis(node.attr_int("axis", -1)) {}

  static int output_axis(int64_t axis, int in_rank) { return normalize_axis(axis, in_rank + 1, "OneHot"); }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo indices = ctx.input(0), depth = ctx.input(1), values = ctx.input(2);
    if (!indices.has_rank) return ctx.set_output_unknown_rank(0, values.dtype);
    const int a = output_axis(node.attr_int("axis", -1), indices.rank());
    std::vector<int64_t> out = indices.dims;
    int64_t d = -1;
    if (depth.data && depth.shape_known()) {
      if (depth.numel() != 1) fail_invalid("OneHot: depth must hold one element");
      dispatch_every_dtype(depth.dtype, "OneHot", [&](auto tag) { d = depth_from(to_double(*depth.as<decltype(tag)>())); });
    }
    out.insert(out.begin() + a, d);
    ctx.set_output(0, values.dtype, out);
  }
  void execute(ExecContext& ctx) {
    const Tensor indices = ctx.input(0), depth_t = ctx.input(1), values = ctx.input(2), y = ctx.output(0);
    if (values.numel() != 2) fail_invalid("OneHot: values must hold exactly two elements [off, on]");
    if (depth_t.numel() != 1) fail_invalid("OneHot: depth must hold one element");
    const int64_t depth = depth_from(element_as_double(depth_t, 0, "OneHot"));
    if (!y.present() || y.numel() == 0) return;
    const std::vector<int64_t> in = indices.shape();
    const int a = output_axis(axis, indices.rank());
    const int64_t outer = span_size(in, 0, static_cast<size_t>(a)), inner = span_size(in, static_cast<size_t>(a), in.size());
    const size_t elem = dtype_size(values.dtype());
    const auto* off = static_cast<const uint8_t*>(values.raw());
    const uint8_t* on = off + elem;
    auto* out = static_cast<uint8_t*>(y.raw());
    for (int64_t i = 0; i < y.numel(); ++i) std::memcpy(out + i * static_cast<int64_t>(elem), off, elem);
    // Output [outer, depth, inner]; index element (o, i) lights position (o, index, i).
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        const double raw = element_as_double(indices, o * inner + i, "OneHot");
        if (!(std::fabs(raw) < static_cast<double>(depth) + 1)) continue;  // NaN, or far out of range
        int64_t index = static_cast<int64_t>(raw);
        if (index < 0) index += depth;
        if (index < 0 || index >= depth) continue;
        std::memcpy(out + ((o * depth + index) * inner + i) * static_cast<int64_t>(elem), on, elem);
      }
  }
  int64_t axis;
};

}  // namespace

const kiln_kernel_desc* one_hot_kernel() { return describe<OneHot>(); }

}  // namespace kiln::cpu_ref
