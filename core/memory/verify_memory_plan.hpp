// An independent check of a memory plan, for the builder in debug builds and for tests: it knows only what a
// plan must guarantee, not how the planner found it.
#ifndef KILN_CORE_VERIFY_MEMORY_PLAN_HPP
#define KILN_CORE_VERIFY_MEMORY_PLAN_HPP

#include <vector>

#include "memory/memory_plan.hpp"
#include "schedule/happens_before.hpp"

namespace kiln {

// Throws kiln::Error naming the buffers when the plan does not cover the buffers, a buffer is smaller than
// asked or runs past the arena, or two buffers whose lifetimes overlap share bytes (a legal in-place pair may,
// at the same offset).
void verify_memory_plan(const std::vector<BufferUse>& buffers, const HappensBefore& order, const MemoryPlan& plan);

}  // namespace kiln

#endif  // KILN_CORE_VERIFY_MEMORY_PLAN_HPP
