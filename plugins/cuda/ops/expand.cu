// Expand: broadcast the input to a shape (numpy rules, dims aligned from the right), as one strided copy in
// which the broadcast dims have source stride 0. The target shape must be constant.
#include <algorithm>

#include "common/constant_inputs.hpp"
#include "common/movement_copy.hpp"
#include "common/movement_index.cuh"
#include "common/movement_shape.hpp"

namespace kiln::cuda {
namespace {

using namespace movement;

// The broadcast of two shapes; -1 (unknown) stays unknown unless the other side fixes the dim.
std::vector<int64_t> broadcast_dims(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank, 1);
  for (size_t k = 0; k < rank; ++k) {
    const int64_t x = k < a.size() ? a[a.size() - 1 - k] : 1, y = k < b.size() ? b[b.size() - 1 - k] : 1;
    int64_t& o = out[rank - 1 - k];
    if (x == y || y == 1) o = x;
    else if (x == 1) o = y;
    else if (x == -1 || y == -1) o = x == -1 ? y : x;  // the known one, unless it is 1 (handled above)
    else fail_invalid("Expand: dims " + std::to_string(x) + " and " + std::to_string(y) + " do not broadcast");
  }
  return out;
}

struct Expand {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.Expand";
    s.op_type = "Expand";
    s.opset_min = 8;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {io_layouts(kMovableDtypes, kAnyLayout), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64))};
    s.outputs = {io_layouts(kMovableDtypes, kAnyLayout)};
    return s;
  }

  static std::string check(const Node& node) {
    if (!node.has_input(1) || !known_or_absent(node, 1)) return "the shape must be constant";
    // The output has the larger of the input's rank and the shape's length.
    return rank_limit_reason(std::max<int>(node.input(0).rank(), static_cast<int>(node.input(1).numel())));
  }

  explicit Expand(const Node& node) : constants(node, {0}) {}

  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    std::vector<int64_t> shape;
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    if (!known_ints(ctx, 1, shape)) {  // the output's rank is still known when the shape's length is
      const ValueInfo s = ctx.input(1);
      if (!s.shape_known() || s.rank() != 1) return ctx.set_output_unknown_rank(0, x.dtype);
      return ctx.set_output(0, x.dtype,
                            std::vector<int64_t>(static_cast<size_t>(std::max<int64_t>(s.numel(), x.rank())), -1));
    }
    ctx.set_output(0, x.dtype, broadcast_dims(x.dims, shape));
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    if (x.rank() > y.rank())
      fail_invalid("Expand: input " + dims_text(x.shape()) + " has more dims than the output " + dims_text(y.shape()));
    const std::vector<int64_t> x_strides = element_strides(x);
    StridedCopy copy;
    copy.dims = y.shape();
    copy.dst_strides = element_strides(y);
    copy.src_strides.assign(copy.dims.size(), 0);
    const int lead = y.rank() - x.rank();  // output dims with no input dim: repeated
    for (int d = 0; d < x.rank(); ++d) {
      const int64_t in = x.dim(d), out = y.dim(d + lead);
      if (in != out && in != 1)
        fail_invalid("Expand: input " + dims_text(x.shape()) + " does not broadcast to " + dims_text(y.shape()));
      copy.src_strides[static_cast<size_t>(d + lead)] = in == out ? x_strides[static_cast<size_t>(d)] : 0;
    }
    if (y.numel() == 0) return;
    copy_strided(constants.data(ctx, 0), y.raw(), dtype_size(x.dtype()), copy, static_cast<cudaStream_t>(ctx.stream()));
  }

  ConstantInputs constants;  // the data, when it is an initializer
};

}  // namespace

const kiln_kernel_desc* expand_kernel() { return describe<Expand>(); }

}  // namespace kiln::cuda
