// The fast CPU pack's one table and its entry point. Kernels are listed in kernel_list.inc.
//
// kiln.cpu_fast brings only the kernels whose speed matters for CNN inference on a CPU (Conv, the fused
// Conv chain, Gemm, MatMul; float32) and nothing else: loaded beside kiln.cpu_reference and named first in a
// config's preference lists (configs/cpu-fast.yaml), it takes those ops and the reference pack every other one.
#include "kiln/plugin.hpp"

namespace kiln::cpu_fast {
#define KILN_FAST_KERNEL(x) const kiln_kernel_desc* x##_kernel();
#include "kernel_list.inc"
#undef KILN_FAST_KERNEL
}  // namespace kiln::cpu_fast

namespace {
const kiln::KernelFactory kKernels[] = {
#define KILN_FAST_KERNEL(x) &kiln::cpu_fast::x##_kernel,
#include "kernel_list.inc"
#undef KILN_FAST_KERNEL
};
}  // namespace

KILN_DEFINE_PLUGIN("kiln.cpu_fast", "0.1.0",
                   "kiln's optimized CPU kernels: packed weights and a cache-blocked SGEMM (AVX2+FMA or portable)",
                   kKernels)
