// The pack's one table and its entry point: every kernel of com.example.layer_scale is listed here, and
// kiln_plugin_entry is the one symbol the library exports.
#include "layer_scale.hpp"

namespace {

const kiln::KernelFactory kKernels[] = {
    &example::layer_scale_cpu_kernel,
#ifdef EXAMPLE_WITH_CUDA
    &example::layer_scale_cuda_kernel,  // built where CMake found a CUDA compiler (CMakeLists.txt)
#endif
};

}  // namespace

KILN_DEFINE_PLUGIN("com.example.layer_scale", "1.0.0", "com.example::LayerScale, a template kiln operator pack",
                   kKernels)
