// Clip on float32/float16: y = min(max(x, lo), hi), any layout. The bounds are attributes before opset 11 and
// optional one-value inputs after; this kernel reads those on the host when it is created, so it declines
// bounds that are not constants.
#include <cuda_runtime.h>

#include <limits>
#include <string>
#include <vector>

#include "common/elementwise_types.cuh"
#include "common/strided.cuh"
#include "kiln/plugin.hpp"

namespace kiln::cuda {
namespace {

using namespace elementwise;

struct ClipOp {
  float lo, hi;
  // As the reference computes it: NaN stays NaN, and lo > hi gives hi.
  __device__ float operator()(float x) const { return std_min(std_max(x, lo), hi); }
};

struct Clip {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.Clip";
    s.op_type = "Clip";
    s.opset_min = 6;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_INPLACE_0 | KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {io_layouts(kFloatDtypes, kAnyLayout), io(kFloatDtypes, KILN_IO_OPTIONAL), io(kFloatDtypes, KILN_IO_OPTIONAL)};
    s.outputs = {io_layouts(kFloatDtypes, kAnyLayout)};
    return s;
  }
  static std::string check(const Node& node) {
    if (std::string why = mixed_float_dtypes(node, {0}); !why.empty()) return why;
    if (std::string why = rank_too_high(node, 0); !why.empty()) return why;
    if (node.opset() < 11) return "";
    for (int i = 1; i < 3; ++i) {
      if (!node.has_input(i)) continue;
      const ValueInfo bound = node.input(i);
      if (!bound.data) return "Clip's bound '" + bound.name + "' is not a constant (the CUDA Clip reads its bounds when created)";
      if (bound.shape_known() && bound.numel() != 1)
        return "Clip's bound '" + bound.name + "' holds " + std::to_string(bound.numel()) + " values, not one";
    }
    return "";
  }
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (x.has_rank) ctx.set_output(0, x.dtype, x.dims);
    else ctx.set_output_unknown_rank(0, x.dtype);
  }

  explicit Clip(const Node& node) {
    if (node.opset() < 11) {
      // Clip-6's defaults are the float range, not infinities, as in the reference pack.
      op.lo = node.attr_float("min", std::numeric_limits<float>::lowest());
      op.hi = node.attr_float("max", std::numeric_limits<float>::max());
      return;
    }
    op.lo = -std::numeric_limits<float>::infinity();
    op.hi = std::numeric_limits<float>::infinity();
    if (node.has_input(1)) op.lo = bound(node, 1);
    if (node.has_input(2)) op.hi = bound(node, 2);
  }
  static float bound(const Node& node, int index) {
    const std::vector<float> v = host_floats(node.input(index), "Clip");
    if (v.size() != 1) fail_invalid("Clip: a bound must hold one value, got " + std::to_string(v.size()));
    return v[0];
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    require_dtype(x, y.dtype(), "Clip", "the input");
    dispatch_float(y.dtype(), "Clip", [&](auto tag) {
      using T = decltype(tag);
      const std::vector<int64_t> dims = y.shape();
      launch_elementwise("Clip", ThroughFloat<T, ClipOp>{op}, dims, output_operand<T>(y), stream_of(ctx),
                         input_operand<T>(x, dims, "Clip"));
    });
  }
  ClipOp op{};
};

}  // namespace

const kiln_kernel_desc* clip_kernel() { return describe<Clip>(); }

}  // namespace kiln::cuda
