// Conv, float32 2-D: packed weights and a blocked SGEMM (common/fast_conv.hpp). Declines, with its reason, what
// it does not do (other dtypes and ranks, weights computed at run time); the reference pack takes those.
#include "common/fast_conv.hpp"

namespace kiln::cpu_fast {
namespace {

struct Conv : FastConvKernel {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_fast.Conv";
    s.op_type = "Conv";
    s.inputs = {io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32)), io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32)),
                io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32), KILN_IO_OPTIONAL)};
    s.outputs = {io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;  // writes image by image (common/image_output.hpp)
    return s;
  }
  static std::string check(const Node& node) { return FastConv::conv_reason(node); }
  static void infer(const Node& node, InferContext& ctx) { ConvAttrs(node).infer(ctx); }
  explicit Conv(const Node& node) : FastConvKernel(FastConv(node, cpu_ref::lone_step(node))) { node.note(conv.packing_note()); }
  Conv(const Node& node, const uint8_t* bytes, size_t length)
      : FastConvKernel(FastConv(node, cpu_ref::lone_step(node), bytes, length)) {}
};

}  // namespace

const kiln_kernel_desc* conv_kernel() { return describe<Conv>(); }

}  // namespace kiln::cpu_fast
