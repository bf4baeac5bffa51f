// Best-fit placement of blocks into one arena: each block, in the order given, goes into the smallest gap
// between already-placed blocks it conflicts with that can hold it, else right after the highest of them.
// Which order is fed in is the strategy (largest first, busiest layer first, ...); this is the shared step.
#ifndef KILN_CORE_OFFSET_PLACEMENT_HPP
#define KILN_CORE_OFFSET_PLACEMENT_HPP

#include <cstddef>
#include <vector>

#include "util/bit_matrix.hpp"

namespace kiln {

struct Placement {
  std::vector<size_t> offsets;  // per block
  size_t arena_bytes = 0;
};

// sizes: per block; conflicts: blocks i and j may not overlap when conflicts.test(i, j) (symmetric);
// placement_order: every block once. Offsets are sums of sizes, so aligned sizes give aligned offsets.
Placement place_best_fit(const std::vector<size_t>& sizes, const BitMatrix& conflicts,
                         const std::vector<int>& placement_order);

}  // namespace kiln

#endif  // KILN_CORE_OFFSET_PLACEMENT_HPP
