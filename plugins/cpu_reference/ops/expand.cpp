// Expand (broadcast to a shape) and Tile (repeat along each dim).
#include "common/elementwise.hpp"
#include "common/shape_util.hpp"
#include "common/strided_copy.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr uint64_t kAnyType = AllTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16);

KernelSpec spec_for(const char* op, int since) {
  KernelSpec s;
  s.name = std::string("kiln.cpu_ref.") + op;
  s.op_type = op;
  s.opset_min = since;
  s.inputs = {io(kAnyType), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64))};
  s.outputs = {io(kAnyType)};
  return s;
}

struct Expand {
  static KernelSpec spec() { return spec_for("Expand", 8); }
  explicit Expand(const Node&) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    std::vector<int64_t> shape;
    if (!known_ints(ctx, 1, shape)) {
      const ValueInfo s = ctx.input(1);
      return set_output_or_unknown(ctx, 0, x.dtype, s.shape_known() && x.has_rank && x.rank() <= s.numel(),
                                   std::vector<int64_t>(s.shape_known() ? s.numel() : 0, -1));
    }
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    ctx.set_output(0, x.dtype, broadcast_shapes({x.dims, shape}));
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    strided_copy(x.raw(), y.raw(), dtype_size(x.dtype()), y.shape(), broadcast_strides(x.shape(), y.shape()), 0);
  }
};

struct Tile {
  static KernelSpec spec() { return spec_for("Tile", 6); }
  explicit Tile(const Node&) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    std::vector<int64_t> repeats;
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    if (!known_ints(ctx, 1, repeats)) return ctx.set_output(0, x.dtype, std::vector<int64_t>(x.dims.size(), -1));
    if (repeats.size() != x.dims.size()) fail_invalid("Tile: repeats has " + std::to_string(repeats.size()) + " entries for rank " + std::to_string(x.rank()));
    std::vector<int64_t> out;
    for (size_t i = 0; i < repeats.size(); ++i) {
      if (repeats[i] < 0) fail_invalid("Tile: negative repeat");
      out.push_back(x.dims[i] < 0 ? -1 : x.dims[i] * repeats[i]);
    }
    ctx.set_output(0, x.dtype, out);
  }
  void execute(ExecContext& ctx) {
    // View the output as [r0, d0, r1, d1, ...]: each repeat axis has stride 0 into the input.
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> in_dims = x.shape(), in_strides = dense_strides(in_dims);
    std::vector<int64_t> dims, strides;
    for (size_t d = 0; d < in_dims.size(); ++d) {
      dims.push_back(in_dims[d] == 0 ? 0 : y.dim(static_cast<int>(d)) / in_dims[d]);
      strides.push_back(0);
      dims.push_back(in_dims[d]);
      strides.push_back(in_strides[d]);
    }
    strided_copy(x.raw(), y.raw(), dtype_size(x.dtype()), dims, strides, 0);
  }
};

}  // namespace

const kiln_kernel_desc* expand_kernel() { return describe<Expand>(); }
const kiln_kernel_desc* tile_kernel() { return describe<Tile>(); }

}  // namespace kiln::cpu_ref
