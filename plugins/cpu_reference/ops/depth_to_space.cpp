// DepthToSpace: [N, C, H, W] -> [N, C / b^2, H * b, W * b], moving channel blocks into spatial blocks.
// DCR mode (default) takes the block offset from the high part of the channel, CRD from the low part.
#include "common/element_value.hpp"
#include "common/strided_copy.hpp"

namespace kiln::cpu_ref {
namespace {

struct DepthToSpace {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.DepthToSpace";
    s.op_type = "DepthToSpace";
    s.opset_min = 1;
    s.inputs = {io(kEveryDtype)};
    s.outputs = {io(kEveryDtype)};
    return s;
  }
  explicit DepthToSpace(const Node& node)
      : block(node.attr_int("blocksize")), crd(node.attr_string("mode", "DCR") == "CRD") {
    const std::string mode = node.attr_string("mode", "DCR");
    if (mode != "DCR" && mode != "CRD") fail_invalid("DepthToSpace: unknown mode '" + mode + "'");
    if (block < 1) fail_invalid("DepthToSpace: blocksize must be positive");
  }
  static std::vector<int64_t> output_shape(const std::vector<int64_t>& in, int64_t b) {
    if (in.size() != 4) fail_invalid("DepthToSpace: input must be 4-D [N, C, H, W]");
    if (in[1] >= 0 && (b > in[1] || in[1] % (b * b) != 0))
      fail_invalid("DepthToSpace: channels " + std::to_string(in[1]) + " are not a multiple of blocksize^2");
    auto times = [b](int64_t d) { return d < 0 ? -1 : d * b; };
    return {in[0], in[1] < 0 ? -1 : in[1] / (b * b), times(in[2]), times(in[3])};
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    ctx.set_output(0, x.dtype, output_shape(x.dims, DepthToSpace(node).block));
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    output_shape(x.shape(), block);
    if (!y.present() || y.numel() == 0) return;
    const int64_t n = x.dim(0), c = x.dim(1) / (block * block), h = x.dim(2), w = x.dim(3), b = block;
    // Walk the output as [N, C', H, b(i), W, b(j)]; input channel is (i * b + j) * C' + c (DCR) or
    // c * b^2 + i * b + j (CRD).
    const int64_t hw = h * w;
    const std::vector<int64_t> dims = {n, c, h, b, w, b};
    const std::vector<int64_t> strides =
        crd ? std::vector<int64_t>{c * b * b * hw, b * b * hw, w, b * hw, 1, hw}
            : std::vector<int64_t>{c * b * b * hw, hw, w, b * c * hw, 1, c * hw};
    strided_copy(x.raw(), y.raw(), dtype_size(x.dtype()), dims, strides, 0);
  }
  int64_t block;
  bool crd;
};

}  // namespace

const kiln_kernel_desc* depth_to_space_kernel() { return describe<DepthToSpace>(); }

}  // namespace kiln::cpu_ref
