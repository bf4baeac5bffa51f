// Reading a kernel's KILN_KERNEL_* flags with the ABI version of the library that declared them in mind.
#ifndef KILN_CORE_KERNEL_FLAGS_HPP
#define KILN_CORE_KERNEL_FLAGS_HPP

#include <cstdint>

#include "plugin/plugin_registry.hpp"

namespace kiln {

// Whether `kernel` declares `flag`. A flag added in ABI 1.1 (IDENTITY, NO_FOLD, SHAPE_ONLY, CONCAT) counts only for a library
// built against 1.1 or later: in a 1.0 library that bit had no meaning, so it cannot have been meant.
bool has_kernel_flag(const KernelEntry& kernel, uint32_t flag);

// The io spec that applies at input (or output) `position`: its own, or a trailing variadic one; nullptr if none.
const kiln_io_spec* io_spec_at(const kiln_kernel_desc& kernel, bool output, size_t position);
// Whether that spec accepts `dtype`.
bool io_accepts(const kiln_kernel_desc& kernel, bool output, size_t position, kiln_dtype dtype);
// Whether that spec carries KILN_IO_* `io_flag` (PREFERS_NHWC only from libraries built for ABI >= 1.2).
bool io_has_flag(const KernelEntry& kernel, bool output, size_t position, uint32_t io_flag);

}  // namespace kiln

#endif  // KILN_CORE_KERNEL_FLAGS_HPP
