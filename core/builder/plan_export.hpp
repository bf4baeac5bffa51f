// An EnginePlan as plan-file contents: the optimized graph, each layer's kernel and serialized prepared state,
// the memory plan, the schedule, the profile and the weights.
#ifndef KILN_CORE_PLAN_EXPORT_HPP
#define KILN_CORE_PLAN_EXPORT_HPP

#include <map>
#include <string>

#include "planfile/plan_contents.hpp"
#include "runtime/engine_plan.hpp"

namespace kiln {

// Throws kiln::Error naming the layer when a kernel fails to serialize its state.
PlanContents export_plan(const EnginePlan& plan, const std::map<std::string, std::string>& build_info);

}  // namespace kiln

#endif  // KILN_CORE_PLAN_EXPORT_HPP
