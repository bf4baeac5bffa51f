// Slice: starts/ends/axes/steps (attributes before opset 10, inputs after), negative indices and steps,
// out-of-range bounds clamped as numpy does.
#include <algorithm>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"
#include "common/strided_copy.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr uint64_t kIndexTypes = KILN_DTYPE_BIT(KILN_DTYPE_INT32) | KILN_DTYPE_BIT(KILN_DTYPE_INT64);

struct Window {
  std::vector<int64_t> start, step, count;  // per dim of the input
};

struct SliceArgs {
  std::vector<int64_t> starts, ends, axes, steps;
};

Window window(const std::vector<int64_t>& dims, const SliceArgs& args) {
  const int rank = static_cast<int>(dims.size());
  Window w{std::vector<int64_t>(rank, 0), std::vector<int64_t>(rank, 1), dims};
  if (args.starts.size() != args.ends.size()) fail_invalid("Slice: starts and ends differ in length");
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (size_t i = 0; i < args.starts.size(); ++i) {
    const int axis = normalize_axis(args.axes.empty() ? static_cast<int64_t>(i) : args.axes.at(i), rank, "Slice");
    if (seen[axis]) fail_invalid("Slice: axis " + std::to_string(axis) + " is repeated");
    seen[axis] = true;
    const int64_t step = args.steps.empty() ? 1 : args.steps.at(i);
    if (step == 0) fail_invalid("Slice: step must not be 0");
    const int64_t n = dims[axis];
    auto resolve = [n](int64_t v) { return v < 0 ? v + n : v; };
    int64_t start = resolve(args.starts[i]), end = resolve(args.ends[i]);
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, n);
      end = std::clamp<int64_t>(end, 0, n);
      w.count[axis] = std::max<int64_t>(0, (end - start + step - 1) / step);
    } else {
      start = std::clamp<int64_t>(start, 0, n - 1);
      end = std::clamp<int64_t>(end, -1, n - 1);
      w.count[axis] = std::max<int64_t>(0, (start - end + (-step) - 1) / (-step));
    }
    w.start[axis] = start;
    w.step[axis] = step;
  }
  return w;
}

struct Slice {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Slice";
    s.op_type = "Slice";
    s.inputs = {io(AllTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16)), io(kIndexTypes, KILN_IO_OPTIONAL),
                io(kIndexTypes, KILN_IO_OPTIONAL), io(kIndexTypes, KILN_IO_OPTIONAL), io(kIndexTypes, KILN_IO_OPTIONAL)};
    s.outputs = {s.inputs[0]};
    s.flags = KILN_KERNEL_QUANT_PASSTHROUGH;  // moves elements: exact on integers that share one grid
    return s;
  }
  explicit Slice(const Node& node) : opset(node.opset()) {
    if (opset < 10) {
      attrs.starts = node.attr_ints("starts");
      attrs.ends = node.attr_ints("ends");
      attrs.axes = node.attr_ints("axes", {});
    }
  }
  // The slice arguments, or false when inputs that carry them are not known yet.
  template <class Ctx>
  bool args(const Ctx& ctx, SliceArgs& out) const {
    if (opset < 10) {
      out = attrs;
      return true;
    }
    std::vector<int64_t>* fields[] = {&out.starts, &out.ends, &out.axes, &out.steps};
    for (int i = 1; i <= 4; ++i)
      if (ctx.has_input(i) && !read(ctx, i, *fields[i - 1])) return false;
    return true;
  }
  static bool read(const InferContext& ctx, int i, std::vector<int64_t>& out) { return known_ints(ctx, i, out); }
  static bool read(const ExecContext& ctx, int i, std::vector<int64_t>& out) {
    out = ctx.input(i).int_values();
    return true;
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    SliceArgs a;
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    if (!x.shape_known() || !Slice(node).args(ctx, a)) return ctx.set_output(0, x.dtype, std::vector<int64_t>(x.dims.size(), -1));
    ctx.set_output(0, x.dtype, window(x.dims, a).count);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    SliceArgs a;
    args(ctx, a);
    const Window w = window(x.shape(), a);
    const std::vector<int64_t> in_strides = dense_strides(x.shape());
    std::vector<int64_t> strides(in_strides.size());
    int64_t offset = 0;
    for (size_t d = 0; d < in_strides.size(); ++d) {
      strides[d] = in_strides[d] * w.step[d];
      offset += in_strides[d] * w.start[d];
    }
    strided_copy(x.raw(), y.raw(), dtype_size(x.dtype()), y.shape(), strides, offset);
  }
  int opset;
  SliceArgs attrs;
};

}  // namespace

const kiln_kernel_desc* slice_kernel() { return describe<Slice>(); }

}  // namespace kiln::cpu_ref
