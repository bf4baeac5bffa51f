// Slice: a window of the input, possibly stepping backwards, as one strided copy. starts/ends/axes are
// attributes before opset 10; from 10 they (and steps) are inputs, which this kernel needs constant. Negative
// indices count from the end; out-of-range bounds clamp as numpy does.
#include <algorithm>

#include "common/constant_inputs.hpp"
#include "common/movement_copy.hpp"
#include "common/movement_index.cuh"
#include "common/movement_shape.hpp"

namespace kiln::cuda {
namespace {

using namespace movement;

struct SliceArgs {
  std::vector<int64_t> starts, ends, axes, steps;
};

// Per input dim: the first index taken, the step, and how many are taken (-1 where the dim is unknown).
struct Window {
  std::vector<int64_t> start, step, count;
};

// The first index and count of start:end:step over a dim of n, clamped as numpy does.
void take(int64_t n, int64_t start, int64_t end, int64_t step, int64_t& first, int64_t& count) {
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (step > 0) {
    first = std::clamp<int64_t>(start, 0, n);
    end = std::clamp<int64_t>(end, 0, n);
    count = end > first ? (end - first - 1) / step + 1 : 0;
    return;
  }
  if (n == 0) {
    first = count = 0;
    return;
  }
  first = std::clamp<int64_t>(start, 0, n - 1);
  end = std::clamp<int64_t>(end, -1, n - 1);
  const uint64_t magnitude = uint64_t{0} - static_cast<uint64_t>(step);  // exact even for INT64_MIN
  count = first > end ? static_cast<int64_t>(static_cast<uint64_t>(first - end - 1) / magnitude) + 1 : 0;
}

Window slice_window(const std::vector<int64_t>& dims, const SliceArgs& args) {
  const int rank = static_cast<int>(dims.size());
  Window w{std::vector<int64_t>(dims.size(), 0), std::vector<int64_t>(dims.size(), 1), dims};
  const size_t n = args.starts.size();
  if (args.ends.size() != n || (!args.axes.empty() && args.axes.size() != n) ||
      (!args.steps.empty() && args.steps.size() != n))
    fail_invalid("Slice: starts, ends, axes and steps differ in length");
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < n; ++i) {
    const int axis = normalize_axis(args.axes.empty() ? static_cast<int64_t>(i) : args.axes[i], rank, "Slice");
    if (seen[static_cast<size_t>(axis)]) fail_invalid("Slice: axis " + std::to_string(axis) + " is repeated");
    seen[static_cast<size_t>(axis)] = true;
    const int64_t step = args.steps.empty() ? 1 : args.steps[i];
    if (step == 0) fail_invalid("Slice: step must not be 0");
    w.step[static_cast<size_t>(axis)] = step;
    if (dims[static_cast<size_t>(axis)] < 0) continue;  // unknown: count stays -1
    take(dims[static_cast<size_t>(axis)], args.starts[i], args.ends[i], step, w.start[static_cast<size_t>(axis)],
         w.count[static_cast<size_t>(axis)]);
  }
  return w;
}

struct Slice {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.Slice";
    s.op_type = "Slice";
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;
    const kiln_io_spec index = io(kIndexDtypes, KILN_IO_OPTIONAL);
    s.inputs = {io_layouts(kMovableDtypes, kAnyLayout), index, index, index, index};
    s.outputs = {io_layouts(kMovableDtypes, kAnyLayout)};
    return s;
  }

  static std::string check(const Node& node) {
    const std::string why = rank_limit_reason(node.input(0).rank());
    if (!why.empty() || node.opset() < 10) return why;
    if (!node.has_input(1) || !node.has_input(2)) return "";  // malformed: create reports it
    for (int i = 1; i <= 4; ++i)
      if (!known_or_absent(node, i)) return "starts, ends, axes and steps must be constant";
    return "";
  }

  explicit Slice(const Node& node) : args(constant_args(node)), constants(node, {0}) {}

  static SliceArgs constant_args(const Node& node) {
    SliceArgs a;
    if (node.opset() < 10) {
      a.starts = node.attr_ints("starts");
      a.ends = node.attr_ints("ends");
      a.axes = node.attr_ints("axes", {});
      return a;
    }
    if (!node.has_input(1) || !node.has_input(2)) fail_invalid("Slice: starts and ends are required");
    a.starts = constant_ints(node, 1);
    a.ends = constant_ints(node, 2);
    a.axes = constant_ints(node, 3);
    a.steps = constant_ints(node, 4);
    return a;
  }

  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    SliceArgs a;
    if (node.opset() < 10) {
      a = constant_args(node);
    } else {
      std::vector<int64_t>* fields[] = {&a.starts, &a.ends, &a.axes, &a.steps};
      for (int i = 1; i <= 4; ++i)
        if (ctx.has_input(i) && !known_ints(ctx, i, *fields[i - 1]))
          return ctx.set_output(0, x.dtype, std::vector<int64_t>(x.dims.size(), -1));
    }
    ctx.set_output(0, x.dtype, slice_window(x.dims, a).count);
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const Window w = slice_window(x.shape(), args);
    if (w.count != y.shape())
      fail_invalid("Slice: the window " + dims_text(w.count) + " differs from the output " + dims_text(y.shape()));
    if (y.numel() == 0) return;
    const std::vector<int64_t> x_strides = element_strides(x);
    StridedCopy copy;
    copy.dims = w.count;
    copy.dst_strides = element_strides(y);
    for (size_t d = 0; d < x_strides.size(); ++d) {
      // A dim taking one element never steps, and its step may be huge: leave its stride as it is.
      copy.src_strides.push_back(w.count[d] > 1 ? x_strides[d] * w.step[d] : x_strides[d]);
      copy.src_offset += x_strides[d] * w.start[d];
    }
    copy_strided(constants.data(ctx, 0), y.raw(), dtype_size(x.dtype()), copy, static_cast<cudaStream_t>(ctx.stream()));
  }

  SliceArgs args;
  ConstantInputs constants;  // the data, when it is an initializer
};

}  // namespace

const kiln_kernel_desc* slice_kernel() { return describe<Slice>(); }

}  // namespace kiln::cuda
