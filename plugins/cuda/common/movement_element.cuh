// Movement kernels copy elements by size, not by value: a dtype of 1, 2, 4 or 8 bytes moves as an unsigned
// integer of that size, so every dtype (float16, bfloat16, int64, bool, ...) is exact and needs no instantiation
// of its own. Contiguous runs may move as one wider word of up to 16 bytes (uint4) when sizes and alignment
// allow (movement_copy.cu decides).
#ifndef KILN_CUDA_MOVEMENT_ELEMENT_CUH
#define KILN_CUDA_MOVEMENT_ELEMENT_CUH

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kiln/plugin.hpp"

namespace kiln::cuda::movement {

// Calls fn(T{}) with the unsigned type of `bytes` bytes (1, 2, 4, 8; 16 when kAllowWide), else fails.
template <bool kAllowWide = false, class Fn>
void dispatch_element_size(size_t bytes, const char* what, Fn&& fn) {
  switch (bytes) {
    case 1: return fn(uint8_t{});
    case 2: return fn(uint16_t{});
    case 4: return fn(uint32_t{});
    case 8: return fn(uint64_t{});
    case 16:
      if constexpr (kAllowWide) return fn(uint4{});
      break;
    default: break;
  }
  fail_unsupported(std::string(what) + ": elements of " + std::to_string(bytes) + " bytes are not supported");
}

}  // namespace kiln::cuda::movement

#endif  // KILN_CUDA_MOVEMENT_ELEMENT_CUH
