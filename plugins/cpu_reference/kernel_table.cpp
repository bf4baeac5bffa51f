// The reference pack's one table and its entry point. Kernels are listed in kernel_list.inc.
#include "kiln/plugin.hpp"

namespace kiln::cpu_ref {
#define KILN_REF_KERNEL(x) const kiln_kernel_desc* x##_kernel();
#include "kernel_list.inc"
#undef KILN_REF_KERNEL
}  // namespace kiln::cpu_ref

namespace {
const kiln::KernelFactory kKernels[] = {
#define KILN_REF_KERNEL(x) &kiln::cpu_ref::x##_kernel,
#include "kernel_list.inc"
#undef KILN_REF_KERNEL
};
}  // namespace

KILN_DEFINE_PLUGIN("kiln.cpu_reference", "0.1.0", "kiln's CPU reference kernels: readable, correct, the oracle",
                   kKernels)
