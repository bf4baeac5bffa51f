// Ops that change only the shape, not the bytes: Reshape, Flatten, Squeeze, Unsqueeze.
#include <algorithm>
#include <cstring>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr uint64_t kAnyType = AllTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16);
constexpr uint64_t kInt64 = KILN_DTYPE_BIT(KILN_DTYPE_INT64);

void copy_bytes(ExecContext& ctx) {
  const Tensor x = ctx.input(0);
  if (x.bytes()) std::memcpy(ctx.output(0).raw(), x.raw(), x.bytes());
}

KernelSpec view_spec(const char* op, int since, bool second_input) {
  KernelSpec s;
  s.name = std::string("kiln.cpu_ref.") + op;
  s.op_type = op;
  s.opset_min = since;
  s.inputs = {io(kAnyType)};
  if (second_input) s.inputs.push_back(io(kInt64, KILN_IO_OPTIONAL));
  s.outputs = {io(kAnyType)};
  s.flags = KILN_KERNEL_QUANT_PASSTHROUGH;  // moves elements: exact on integers that share one grid
  return s;
}

// Reshape's target: 0 copies the input dim (unless allowzero), one -1 is inferred.
std::vector<int64_t> reshape_target(const std::vector<int64_t>& in, std::vector<int64_t> shape, bool allowzero) {
  int64_t known = 1;
  int infer_at = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowzero) {
      if (i >= in.size()) fail_invalid("Reshape: 0 at position " + std::to_string(i) + " has no input dim to copy");
      shape[i] = in[i];
    }
    if (shape[i] == -1) {
      if (infer_at >= 0) fail_invalid("Reshape: more than one -1 in the target shape");
      infer_at = static_cast<int>(i);
    } else if (shape[i] < 0) {
      fail_invalid("Reshape: invalid target dim " + std::to_string(shape[i]));
    } else {
      known *= shape[i];
    }
  }
  const int64_t total = product(in);
  if (infer_at >= 0) {
    if (known == 0 || total % known != 0) fail_invalid("Reshape: cannot infer the -1 dim of the target shape");
    shape[static_cast<size_t>(infer_at)] = total / known;
  } else if (known != total) {
    fail_invalid("Reshape: target has " + std::to_string(known) + " elements, the input " + std::to_string(total));
  }
  return shape;
}

struct Reshape {
  static KernelSpec spec() {
    KernelSpec s = view_spec("Reshape", 5, true);
    s.inputs[1].flags = 0;
    return s;
  }
  explicit Reshape(const Node&) {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    std::vector<int64_t> shape;
    if (!known_ints(ctx, 1, shape)) {
      const ValueInfo s = ctx.input(1);
      set_output_or_unknown(ctx, 0, x.dtype, s.shape_known(), std::vector<int64_t>(s.shape_known() ? s.numel() : 0, -1));
      return;
    }
    if (!x.shape_known()) return ctx.set_output(0, x.dtype, std::vector<int64_t>(shape.size(), -1));
    ctx.set_output(0, x.dtype, reshape_target(x.dims, shape, node.attr_int("allowzero", 0) != 0));
  }
  void execute(ExecContext& ctx) { copy_bytes(ctx); }
};

struct Flatten {
  static KernelSpec spec() { return view_spec("Flatten", 1, false); }
  explicit Flatten(const Node&) {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output(0, x.dtype, {-1, -1});
    const int64_t axis = node.attr_int("axis", 1);
    const int rank = x.rank();
    const size_t a = static_cast<size_t>(axis == rank ? rank : normalize_axis(axis, rank, "Flatten"));
    const bool known = x.shape_known();
    ctx.set_output(0, x.dtype, {known ? span_size(x.dims, 0, a) : -1, known ? span_size(x.dims, a, x.dims.size()) : -1});
  }
  void execute(ExecContext& ctx) { copy_bytes(ctx); }
};

// Squeeze/Unsqueeze axes: an attribute before opset 13, an optional input from 13.
bool read_axes(const Node& node, InferContext& ctx, std::vector<int64_t>& axes, bool& given) {
  given = true;
  if (node.opset() < 13) {
    given = node.has("axes");
    axes = node.attr_ints("axes", {});
    return true;
  }
  if (!ctx.has_input(1)) {
    given = false;
    return true;
  }
  return known_ints(ctx, 1, axes);
}

struct Squeeze {
  static KernelSpec spec() { return view_spec("Squeeze", 1, true); }
  explicit Squeeze(const Node&) {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    std::vector<int64_t> axes;
    bool given = false;
    if (!x.has_rank || !read_axes(node, ctx, axes, given)) return ctx.set_output_unknown_rank(0, x.dtype);
    std::vector<bool> drop(x.dims.size(), false);
    for (int64_t a : axes) {
      const int axis = normalize_axis(a, x.rank(), "Squeeze");
      if (x.dims[axis] != 1 && x.dims[axis] != -1)
        fail_invalid("Squeeze: axis " + std::to_string(a) + " has size " + std::to_string(x.dims[axis]) + ", not 1");
      drop[axis] = true;
    }
    std::vector<int64_t> out;
    for (size_t i = 0; i < x.dims.size(); ++i) {
      if (!given && x.dims[i] == -1) return ctx.set_output_unknown_rank(0, x.dtype);
      if (!(given ? drop[i] : x.dims[i] == 1)) out.push_back(x.dims[i]);
    }
    ctx.set_output(0, x.dtype, out);
  }
  void execute(ExecContext& ctx) { copy_bytes(ctx); }
};

struct Unsqueeze {
  static KernelSpec spec() { return view_spec("Unsqueeze", 1, true); }
  explicit Unsqueeze(const Node&) {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    std::vector<int64_t> axes;
    bool given = false;
    if (!x.has_rank || !read_axes(node, ctx, axes, given)) return ctx.set_output_unknown_rank(0, x.dtype);
    if (!given) fail_invalid("Unsqueeze: axes are required");
    const int rank = x.rank() + static_cast<int>(axes.size());
    std::vector<bool> inserted(static_cast<size_t>(rank), false);
    for (int64_t a : axes) {
      const int axis = normalize_axis(a, rank, "Unsqueeze");
      if (inserted[axis]) fail_invalid("Unsqueeze: axis " + std::to_string(a) + " is given twice");
      inserted[axis] = true;
    }
    std::vector<int64_t> out;
    size_t next = 0;
    for (int i = 0; i < rank; ++i) out.push_back(inserted[i] ? 1 : x.dims[next++]);
    ctx.set_output(0, x.dtype, out);
  }
  void execute(ExecContext& ctx) { copy_bytes(ctx); }
};

}  // namespace

const kiln_kernel_desc* reshape_kernel() { return describe<Reshape>(); }
const kiln_kernel_desc* flatten_kernel() { return describe<Flatten>(); }
const kiln_kernel_desc* squeeze_kernel() { return describe<Squeeze>(); }
const kiln_kernel_desc* unsqueeze_kernel() { return describe<Unsqueeze>(); }

}  // namespace kiln::cpu_ref
