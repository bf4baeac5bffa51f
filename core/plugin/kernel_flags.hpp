// Reading a kernel's KILN_KERNEL_* flags with the ABI version of the library that declared them in mind.
#ifndef KILN_CORE_KERNEL_FLAGS_HPP
#define KILN_CORE_KERNEL_FLAGS_HPP

#include <cstdint>

#include "plugin/plugin_registry.hpp"

namespace kiln {

// Whether `kernel` declares `flag`. A flag added in ABI 1.1 (IDENTITY, NO_FOLD, SHAPE_ONLY, CONCAT) counts only for a library
// built against 1.1 or later: in a 1.0 library that bit had no meaning, so it cannot have been meant.
bool has_kernel_flag(const KernelEntry& kernel, uint32_t flag);

}  // namespace kiln

#endif  // KILN_CORE_KERNEL_FLAGS_HPP
