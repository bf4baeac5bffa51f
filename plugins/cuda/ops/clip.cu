// Clip on float32/float16: y = min(max(x, lo), hi), any layout. The bounds are attributes before opset 11 and
// optional one-value inputs after; this kernel reads those on the host when it is created, so it declines
// bounds that are not constants.
#include <cuda_runtime.h>

#include <limits>
#include <string>
#include <vector>

#include "common/clip_bounds.hpp"
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
    return clip_bounds_reason(node);
  }
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (x.has_rank) ctx.set_output(0, x.dtype, x.dims);
    else ctx.set_output_unknown_rank(0, x.dtype);
  }

  explicit Clip(const Node& node) {
    const ClipBounds b = clip_bounds(node);
    op.lo = b.lo, op.hi = b.hi;
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
