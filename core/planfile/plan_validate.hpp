// The rules between a plan's sections: every index points at something that exists, memory ranges lie within
// what they claim, views form no cycles, the schedule only waits on earlier nodes. The section readers have
// already checked what each record says alone; after both, the runtime can index without checking.
#ifndef KILN_CORE_PLAN_VALIDATE_HPP
#define KILN_CORE_PLAN_VALIDATE_HPP

#include <string>

#include "planfile/plan_contents.hpp"

namespace kiln {
namespace planfile {

// Throws kiln::Error "<source>: <record>: <what is wrong>", e.g. "model.plan: node 3 ('conv1') input 1: value
// 99 is out of range (the plan has 12 values)".
void validate_plan(const PlanContents& plan, const std::string& source);

}  // namespace planfile
}  // namespace kiln

#endif  // KILN_CORE_PLAN_VALIDATE_HPP
