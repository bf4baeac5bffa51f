#include "planfile/checksum.hpp"

namespace kiln {
namespace planfile {

uint64_t fnv1a64(const void* data, size_t size) {
  constexpr uint64_t kOffsetBasis = 0xCBF29CE484222325ull;
  constexpr uint64_t kPrime = 0x100000001B3ull;
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t hash = kOffsetBasis;
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= kPrime;
  }
  return hash;
}

}  // namespace planfile
}  // namespace kiln
