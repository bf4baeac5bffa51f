#include "memory/offset_placement.hpp"

#include <algorithm>
#include <limits>

namespace kiln {
namespace {

struct Range {
  size_t begin;
  size_t end;
};

// The smallest gap among `occupied` that holds `size` bytes, else the end of the highest range.
size_t best_fit_offset(size_t size, std::vector<Range>& occupied) {
  std::sort(occupied.begin(), occupied.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  size_t best_offset = 0;
  size_t best_gap = std::numeric_limits<size_t>::max();
  bool found = false;
  size_t cursor = 0;
  for (const Range& range : occupied) {
    if (range.begin >= cursor + size && range.begin - cursor < best_gap) {
      best_offset = cursor;
      best_gap = range.begin - cursor;
      found = true;
    }
    cursor = std::max(cursor, range.end);
  }
  return found ? best_offset : cursor;
}

}  // namespace

Placement place_best_fit(const std::vector<size_t>& sizes, const BitMatrix& conflicts,
                         const std::vector<int>& placement_order) {
  Placement placement;
  placement.offsets.assign(sizes.size(), 0);
  std::vector<int> placed;
  std::vector<Range> occupied;
  for (int block : placement_order) {
    occupied.clear();
    for (int other : placed)
      if (conflicts.test(block, other))
        occupied.push_back({placement.offsets[other], placement.offsets[other] + sizes[other]});
    placement.offsets[block] = best_fit_offset(sizes[block], occupied);
    placement.arena_bytes = std::max(placement.arena_bytes, placement.offsets[block] + sizes[block]);
    // An empty block occupies nothing, so it never constrains another.
    if (sizes[block] > 0) placed.push_back(block);
  }
  return placement;
}

}  // namespace kiln
