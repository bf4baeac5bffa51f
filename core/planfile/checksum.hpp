// The plan file's checksum: 64-bit FNV-1a. It guards against truncated copies and flipped bits, not against
// tampering (anyone can recompute it), which is all a local build artifact needs; it takes no dependency.
#ifndef KILN_CORE_PLAN_CHECKSUM_HPP
#define KILN_CORE_PLAN_CHECKSUM_HPP

#include <cstddef>
#include <cstdint>

namespace kiln {
namespace planfile {

uint64_t fnv1a64(const void* data, size_t size);

}  // namespace planfile
}  // namespace kiln

#endif  // KILN_CORE_PLAN_CHECKSUM_HPP
