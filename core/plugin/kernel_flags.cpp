#include "plugin/kernel_flags.hpp"

namespace kiln {

namespace {

constexpr uint32_t kFlagsOfAbi1_1 =
    KILN_KERNEL_IDENTITY | KILN_KERNEL_NO_FOLD | KILN_KERNEL_SHAPE_ONLY | KILN_KERNEL_CONCAT | KILN_KERNEL_STACKABLE;

constexpr uint32_t kFlagsOfAbi1_2 = KILN_KERNEL_PRECISION_SENSITIVE;

constexpr uint32_t kFlagsOfAbi1_3 = KILN_KERNEL_QUANTIZED | KILN_KERNEL_QUANT_PASSTHROUGH;

uint32_t abi_of(const KernelEntry& kernel) {
  return kernel.library ? kernel.library->abi_version() : KILN_ABI_VERSION;  // the core's own kernels: current
}

}  // namespace

bool has_kernel_flag(const KernelEntry& kernel, uint32_t flag) {
  if (!(kernel.desc->flags & flag)) return false;
  if (flag & kFlagsOfAbi1_3) return abi_of(kernel) >= KILN_MAKE_ABI_VERSION(1, 3);
  if (flag & kFlagsOfAbi1_2) return abi_of(kernel) >= KILN_MAKE_ABI_VERSION(1, 2);
  if (flag & kFlagsOfAbi1_1) return abi_of(kernel) >= KILN_MAKE_ABI_VERSION(1, 1);
  return true;
}

const kiln_io_spec* io_spec_at(const kiln_kernel_desc& kernel, bool output, size_t position) {
  const int32_t count = output ? kernel.num_output_specs : kernel.num_input_specs;
  const kiln_io_spec* specs = output ? kernel.outputs : kernel.inputs;
  if (count <= 0 || !specs) return nullptr;
  if (position < static_cast<size_t>(count)) return &specs[position];
  const kiln_io_spec& last = specs[count - 1];
  return (last.flags & KILN_IO_VARIADIC) ? &last : nullptr;
}

bool io_accepts(const kiln_kernel_desc& kernel, bool output, size_t position, kiln_dtype dtype) {
  const kiln_io_spec* spec = io_spec_at(kernel, output, position);
  return spec && (spec->dtypes & KILN_DTYPE_BIT(dtype));
}

bool io_has_flag(const KernelEntry& kernel, bool output, size_t position, uint32_t io_flag) {
  const kiln_io_spec* spec = io_spec_at(*kernel.desc, output, position);
  if (!spec || !(spec->flags & io_flag)) return false;
  return io_flag != KILN_IO_PREFERS_NHWC || abi_of(kernel) >= KILN_MAKE_ABI_VERSION(1, 2);
}

}  // namespace kiln
