// The CUDA pack's one table and its entry point. Kernels are listed in kernel_list.inc; the device API the
// core runs device memory, streams and graphs through is in device_api.cpp.
#include "device_api.hpp"
#include "kiln/plugin.hpp"

namespace kiln::cuda {
#define KILN_CUDA_KERNEL(x) const kiln_kernel_desc* x##_kernel();
#include "kernel_list.inc"
#undef KILN_CUDA_KERNEL
}  // namespace kiln::cuda

namespace {
const kiln::KernelFactory kKernels[] = {
#define KILN_CUDA_KERNEL(x) &kiln::cuda::x##_kernel,
#include "kernel_list.inc"
#undef KILN_CUDA_KERNEL
};
}  // namespace

KILN_DEFINE_DEVICE_PLUGIN("kiln.cuda", "0.1.0",
                          "kiln's CUDA kernels: cuDNN convolutions, cuBLASLt GEMMs, FP16, kernels of its own",
                          kKernels, kiln::cuda::device_api())
