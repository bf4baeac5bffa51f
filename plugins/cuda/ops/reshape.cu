// Ops that change only the shape, never the bytes: Reshape, Flatten, Squeeze, Unsqueeze and Identity. Their
// input is dense (LINEAR only), so the output is the input's bytes in order: nothing to do when the planner
// gave both one buffer (KILN_KERNEL_INPLACE_0), else one device-to-device copy. A shape or axes input is only
// read by shape inference, on the host (KILN_IO_HOST_MEMORY), never by execute. Int8/uint8 values pass through
// quantized (KILN_KERNEL_QUANT_PASSTHROUGH) when the output shares the input's per-tensor grid (see check).
#include <cuda_runtime.h>

#include "common/cuda_check.hpp"
#include "common/constant_inputs.hpp"
#include "common/movement_shape.hpp"
#include "common/quant_params.hpp"

namespace kiln::cuda {
namespace {

using namespace movement;

constexpr uint64_t kInt64 = KILN_DTYPE_BIT(KILN_DTYPE_INT64);

// create, check and execute shared by every kernel of this file: output 0 = input 0's bytes.
class SameBytes {
 public:
  explicit SameBytes(const Node& node) : constants_(node, {0}) {}

  // Where the output carries quantization parameters (the builder's QUANT_PASSTHROUGH), the integers pass as
  // they are on the output's grid, per tensor: a per-axis grid's axis would not be the same dim after the shape
  // changes. An output without parameters takes plain integers, and bytes are bytes.
  static std::string check(const Node& node) {
    const ValueInfo x = node.input(0), y = node.output(0);
    if (!is_quantized_dtype(x.dtype) || !y.quant.present()) return "";
    if (x.quant.present() && !x.quant.per_tensor())
      return "input 0 '" + x.name + "' is quantized " + quant_text(x.quant) + "; shapes of integers change here only per tensor";
    return one_grid_reason(node, 0, "reshaped");
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    if (x.bytes() != y.bytes())
      fail_invalid("input " + dims_text(x.shape()) + " and output " + dims_text(y.shape()) + " differ in size");
    const void* src = constants_.data(ctx, 0);
    if (x.bytes() == 0 || src == y.raw()) return;  // in place
    KILN_CUDA(
        cudaMemcpyAsync(y.raw(), src, x.bytes(), cudaMemcpyDeviceToDevice, static_cast<cudaStream_t>(ctx.stream())));
  }

 private:
  ConstantInputs constants_;  // the data, when it is an initializer
};

// `second`: the spec of a shape/axes input, if the op has one.
KernelSpec same_bytes_spec(const char* op, int since, const kiln_io_spec* second = nullptr) {
  KernelSpec s;
  s.name = std::string("kiln.cuda.") + op;
  s.op_type = op;
  s.opset_min = since;
  s.device = KILN_DEVICE_CUDA;
  s.flags = KILN_KERNEL_INPLACE_0 | KILN_KERNEL_QUANT_PASSTHROUGH;  // bytes unchanged: exact on one integer grid
  s.inputs = {io(kMovableDtypes)};
  if (second) s.inputs.push_back(*second);
  s.outputs = {io(kMovableDtypes)};
  return s;
}

// Reshape's target: 0 copies the input dim (unless allowzero), one -1 takes what is left. Unknown input dims
// (-1) give unknown output dims where they matter.
std::vector<int64_t> reshape_target(const std::vector<int64_t>& in, std::vector<int64_t> shape, bool allowzero) {
  bool in_known = true;
  for (int64_t d : in) in_known = in_known && d >= 0;
  int64_t known = 1;
  int infer_at = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowzero) {
      if (i >= in.size()) fail_invalid("Reshape: 0 at position " + std::to_string(i) + " has no input dim to copy");
      shape[i] = in[i];
      if (shape[i] < 0) continue;  // unknown copied dim
    } else if (shape[i] == -1) {
      if (infer_at >= 0) fail_invalid("Reshape: more than one -1 in the target shape");
      infer_at = static_cast<int>(i);
      continue;
    } else if (shape[i] < 0) {
      fail_invalid("Reshape: invalid target dim " + std::to_string(shape[i]));
    }
    known *= shape[i];
  }
  if (!in_known) return shape;  // the -1 (if any) and copies of unknown dims stay unknown
  const int64_t total = product(in);
  if (infer_at >= 0) {
    if (known == 0 || total % known != 0)
      fail_invalid("Reshape: cannot infer the -1 dim of " + dims_text(shape) + " for input " + dims_text(in));
    shape[static_cast<size_t>(infer_at)] = total / known;
  } else if (known != total) {
    fail_invalid("Reshape: target " + dims_text(shape) + " has " + std::to_string(known) + " elements, the input " +
                 std::to_string(total));
  }
  return shape;
}

struct Reshape : SameBytes {
  using SameBytes::SameBytes;
  static KernelSpec spec() {
    const kiln_io_spec shape = io(kInt64, KILN_IO_HOST_MEMORY);
    return same_bytes_spec("Reshape", 5, &shape);
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    std::vector<int64_t> shape;
    if (!known_ints(ctx, 1, shape)) {
      const ValueInfo s = ctx.input(1);
      if (s.shape_known() && s.rank() == 1)
        return ctx.set_output(0, x.dtype, std::vector<int64_t>(static_cast<size_t>(s.numel()), -1));
      return ctx.set_output_unknown_rank(0, x.dtype);
    }
    const bool allowzero = node.attr_int("allowzero", 0) != 0;
    if (!x.has_rank) {
      for (int64_t& d : shape)
        if (d < 0 || (d == 0 && !allowzero)) d = -1;
      return ctx.set_output(0, x.dtype, shape);
    }
    ctx.set_output(0, x.dtype, reshape_target(x.dims, shape, allowzero));
  }
};

struct Flatten : SameBytes {
  using SameBytes::SameBytes;
  static KernelSpec spec() { return same_bytes_spec("Flatten", 1); }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output(0, x.dtype, {-1, -1});
    const int rank = x.rank();
    const int64_t axis = node.attr_int("axis", 1);
    const size_t a = static_cast<size_t>(axis == rank ? rank : normalize_axis(axis, rank, "Flatten"));
    auto span = [&](size_t begin, size_t end) {
      int64_t n = 1;
      for (size_t i = begin; i < end; ++i) {
        if (x.dims[i] < 0) return int64_t{-1};
        n *= x.dims[i];
      }
      return n;
    };
    ctx.set_output(0, x.dtype, {span(0, a), span(a, x.dims.size())});
  }
};

// Squeeze/Unsqueeze axes: an attribute before opset 13, an optional input from 13. False when the input is
// there but not known yet; `given` says whether axes were given at all.
bool squeeze_axes(const Node& node, const InferContext& ctx, std::vector<int64_t>& axes, bool& given) {
  if (node.opset() < 13) {
    given = node.has("axes");
    axes = node.attr_ints("axes", {});
    return true;
  }
  given = ctx.has_input(1);
  return !given || known_ints(ctx, 1, axes);
}

struct Squeeze : SameBytes {
  using SameBytes::SameBytes;
  static KernelSpec spec() {
    const kiln_io_spec axes = io(kInt64, KILN_IO_OPTIONAL | KILN_IO_HOST_MEMORY);
    return same_bytes_spec("Squeeze", 1, &axes);
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    std::vector<int64_t> axes;
    bool given = false;
    if (!x.has_rank || !squeeze_axes(node, ctx, axes, given)) return ctx.set_output_unknown_rank(0, x.dtype);
    std::vector<bool> drop(x.dims.size(), false);
    for (int64_t a : axes) {
      const size_t axis = static_cast<size_t>(normalize_axis(a, x.rank(), "Squeeze"));
      if (x.dims[axis] != 1 && x.dims[axis] != -1)
        fail_invalid("Squeeze: axis " + std::to_string(a) + " has size " + std::to_string(x.dims[axis]) + ", not 1");
      drop[axis] = true;
    }
    std::vector<int64_t> out;
    for (size_t i = 0; i < x.dims.size(); ++i) {
      if (!given && x.dims[i] == -1) return ctx.set_output_unknown_rank(0, x.dtype);  // 1 or not: unknown
      if (!(given ? drop[i] : x.dims[i] == 1)) out.push_back(x.dims[i]);
    }
    ctx.set_output(0, x.dtype, out);
  }
};

struct Unsqueeze : SameBytes {
  using SameBytes::SameBytes;
  static KernelSpec spec() {
    const kiln_io_spec axes = io(kInt64, KILN_IO_OPTIONAL | KILN_IO_HOST_MEMORY);
    return same_bytes_spec("Unsqueeze", 1, &axes);
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    std::vector<int64_t> axes;
    bool given = false;
    if (!x.has_rank || !squeeze_axes(node, ctx, axes, given)) return ctx.set_output_unknown_rank(0, x.dtype);
    if (!given) fail_invalid("Unsqueeze: axes are required");
    const int rank = x.rank() + static_cast<int>(axes.size());
    std::vector<bool> inserted(static_cast<size_t>(rank), false);
    for (int64_t a : axes) {
      const size_t axis = static_cast<size_t>(normalize_axis(a, rank, "Unsqueeze"));
      if (inserted[axis]) fail_invalid("Unsqueeze: axis " + std::to_string(a) + " is given twice");
      inserted[axis] = true;
    }
    std::vector<int64_t> out;
    size_t next = 0;
    for (size_t i = 0; i < inserted.size(); ++i) out.push_back(inserted[i] ? 1 : x.dims[next++]);
    ctx.set_output(0, x.dtype, out);
  }
};

struct Identity : SameBytes {
  using SameBytes::SameBytes;
  static KernelSpec spec() {
    KernelSpec s = same_bytes_spec("Identity", 1);
    s.flags |= KILN_KERNEL_IDENTITY;  // the builder removes the node; execute runs only where one must remain
    return s;
  }
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (x.has_rank) ctx.set_output(0, x.dtype, x.dims);
    else ctx.set_output_unknown_rank(0, x.dtype);
  }
};

}  // namespace

const kiln_kernel_desc* reshape_kernel() { return describe<Reshape>(); }
const kiln_kernel_desc* flatten_kernel() { return describe<Flatten>(); }
const kiln_kernel_desc* squeeze_kernel() { return describe<Squeeze>(); }
const kiln_kernel_desc* unsqueeze_kernel() { return describe<Unsqueeze>(); }
const kiln_kernel_desc* identity_kernel() { return describe<Identity>(); }

}  // namespace kiln::cuda
