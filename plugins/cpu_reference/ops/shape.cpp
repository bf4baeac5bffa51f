// Shape (dims [start, end) as int64, opset 15 slicing) and Size (element count as an int64 scalar).
#include <algorithm>

#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr uint64_t kAnyType = AllTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16);

struct Shape {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Shape";
    s.op_type = "Shape";
    s.flags = KILN_KERNEL_SHAPE_ONLY;  // lets the builder fold exported Shape -> Gather -> Reshape chains
    s.inputs = {io(kAnyType)};
    s.outputs = {io(KILN_DTYPE_BIT(KILN_DTYPE_INT64))};
    return s;
  }
  explicit Shape(const Node& n) : start(n.attr_int("start", 0)), end(n.attr_int("end", INT64_MAX)) {}
  // The [start, end) window of a rank-r shape, clamped as the spec says.
  std::pair<int64_t, int64_t> window(int64_t rank) const {
    auto clamp = [rank](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
    return {clamp(start), std::max(clamp(start), clamp(end))};
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output(0, KILN_DTYPE_INT64, {-1});
    const auto [b, e] = Shape(node).window(x.rank());
    ctx.set_output(0, KILN_DTYPE_INT64, {e - b});
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0);
    const auto [b, e] = window(x.rank());
    int64_t* out = ctx.output(0).data<int64_t>();
    for (int64_t i = b; i < e; ++i) out[i - b] = x.dim(static_cast<int>(i));
  }
  int64_t start, end;
};

struct Size {
  static KernelSpec spec() {
    KernelSpec s = Shape::spec();
    s.name = "kiln.cpu_ref.Size";
    s.op_type = "Size";
    s.flags = KILN_KERNEL_SHAPE_ONLY;
    return s;
  }
  explicit Size(const Node&) {}
  static void infer(const Node&, InferContext& ctx) { ctx.set_output(0, KILN_DTYPE_INT64, {}); }
  void execute(ExecContext& ctx) { *ctx.output(0).data<int64_t>() = ctx.input(0).numel(); }
};

}  // namespace

const kiln_kernel_desc* shape_kernel() { return describe<Shape>(); }
const kiln_kernel_desc* size_kernel() { return describe<Size>(); }

}  // namespace kiln::cpu_ref
