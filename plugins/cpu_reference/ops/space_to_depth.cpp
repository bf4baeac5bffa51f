// SpaceToDepth: [N, C, H, W] -> [N, C * b^2, H / b, W / b], moving spatial blocks into channels: output
// channel (i * b + j) * C + c holds input (c, h * b + i, w * b + j).
#include "common/element_value.hpp"
#include "common/strided_copy.hpp"

namespace kiln::cpu_ref {
namespace {

struct SpaceToDepth {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.SpaceToDepth";
    s.op_type = "SpaceToDepth";
    s.opset_min = 1;
    s.inputs = {io(kEveryDtype)};
    s.outputs = {io(kEveryDtype)};
    return s;
  }
  explicit SpaceToDepth(const Node& node) : block(node.attr_int("blocksize")) {
    if (block < 1) fail_invalid("SpaceToDepth: blocksize must be positive");
  }
  static std::vector<int64_t> output_shape(const std::vector<int64_t>& in, int64_t b) {
    if (in.size() != 4) fail_invalid("SpaceToDepth: input must be 4-D [N, C, H, W]");
    for (int d : {2, 3})
      if (in[d] >= 0 && in[d] % b != 0)
        fail_invalid("SpaceToDepth: spatial dim " + std::to_string(in[d]) + " is not a multiple of blocksize");
    auto divided = [b](int64_t d) { return d < 0 ? -1 : d / b; };
    return {in[0], in[1] < 0 ? -1 : in[1] * b * b, divided(in[2]), divided(in[3])};
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    ctx.set_output(0, x.dtype, output_shape(x.dims, SpaceToDepth(node).block));
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    output_shape(x.shape(), block);
    if (!y.present() || y.numel() == 0) return;
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), b = block;
    // Walk the output as [N, b(i), b(j), C, H / b, W / b].
    const std::vector<int64_t> dims = {n, b, b, c, h / b, w / b};
    const std::vector<int64_t> strides = {c * h * w, w, 1, h * w, b * w, b};
    strided_copy(x.raw(), y.raw(), dtype_size(x.dtype()), dims, strides, 0);
  }
  int64_t block;
};

}  // namespace

const kiln_kernel_desc* space_to_depth_kernel() { return describe<SpaceToDepth>(); }

}  // namespace kiln::cpu_ref
