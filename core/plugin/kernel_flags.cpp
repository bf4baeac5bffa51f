#include "plugin/kernel_flags.hpp"

namespace kiln {

namespace {

constexpr uint32_t kFlagsOfAbi1_1 =
    KILN_KERNEL_IDENTITY | KILN_KERNEL_NO_FOLD | KILN_KERNEL_SHAPE_ONLY | KILN_KERNEL_CONCAT | KILN_KERNEL_STACKABLE;

}  // namespace

bool has_kernel_flag(const KernelEntry& kernel, uint32_t flag) {
  if (!(kernel.desc->flags & flag)) return false;
  if (!(flag & kFlagsOfAbi1_1)) return true;
  return kernel.library->abi_version() >= KILN_MAKE_ABI_VERSION(1, 1);
}

}  // namespace kiln
