// The memory planner's input and output: buffers described by who writes and reads them (plain layer indices),
// and the arena offset each one gets. Nothing here knows the graph, so the planner is easy to test and reuse.
#ifndef KILN_CORE_MEMORY_PLAN_HPP
#define KILN_CORE_MEMORY_PLAN_HPP

#include <cstddef>
#include <limits>
#include <vector>

namespace kiln {

struct BufferUse {
  size_t bytes = 0;
  int producer = 0;            // the layer that writes it
  std::vector<int> consumers;  // the layers that read it
  bool pinned = false;         // a graph input or output: lives outside the arena and is not planned
  // May share the bytes of buffer inplace_of: the producer's kernel works in place and this is the last use of
  // that buffer. The planner honours it only when that is true in every execution of the schedule.
  int inplace_of = -1;
  // Layers that write parts of it before `producer` runs, in any order among themselves (the producers of an
  // eliminated Concat's inputs, writing straight into their slices): its bytes are in use from the first of them.
  std::vector<int> co_producers;
};

struct MemoryPlan {
  static constexpr size_t kNotInArena = std::numeric_limits<size_t>::max();  // the offset of a pinned buffer

  std::vector<size_t> offsets;  // per buffer, aligned
  std::vector<size_t> sizes;    // per buffer: its bytes rounded up to the alignment
  size_t arena_bytes = 0;
  size_t naive_bytes = 0;  // the arena with no reuse: the sum of the aligned sizes of the planned buffers
};

}  // namespace kiln

#endif  // KILN_CORE_MEMORY_PLAN_HPP
