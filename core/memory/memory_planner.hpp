// Plans one arena for every non-pinned buffer of a scheduled graph, reusing bytes between buffers whose
// lifetimes never overlap (under HappensBefore, so buffers of parallel streams stay apart) and honouring legal
// in-place requests. Several placement orders are tried and the smallest arena is kept: TFLite's "greedy by
// size" (largest first) and "greedy by breadth" (the tensors of the busiest layer first), and the most
// contended blocks first.
#ifndef KILN_CORE_MEMORY_PLANNER_HPP
#define KILN_CORE_MEMORY_PLANNER_HPP

#include <cstddef>
#include <vector>

#include "memory/memory_plan.hpp"
#include "schedule/happens_before.hpp"

namespace kiln {

// Throws kiln::Error for malformed buffers (see validate_buffers) or a zero alignment.
MemoryPlan plan_memory(const std::vector<BufferUse>& buffers, const HappensBefore& order, size_t alignment = 64);

}  // namespace kiln

#endif  // KILN_CORE_MEMORY_PLANNER_HPP
