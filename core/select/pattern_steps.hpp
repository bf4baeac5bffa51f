// The fused patterns kernels declare (kiln_pattern_step): which ops a step accepts, and whether a fused node's
// original nodes fit a kernel's pattern. Shared by the fusion pass (which finds chains) and the selector
// (which picks a kernel for a fused node).
#ifndef KILN_CORE_PATTERN_STEPS_HPP
#define KILN_CORE_PATTERN_STEPS_HPP

#include <memory>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "kiln/plugin.h"

namespace kiln {

// Whether `node`'s domain and op_type are what `step` names; its op_type may list alternatives, "Relu|Clip".
bool step_accepts(const kiln_pattern_step& step, const Node& node);

// Whether `steps` (the original nodes of a fused node, in chain order, absent optional steps left out) fit
// `kernel`'s pattern: each required step is there, optional ones may be missing, and nothing else is.
bool steps_fit_pattern(const kiln_kernel_desc& kernel, const std::vector<std::unique_ptr<Node>>& steps);

// "Conv -> [BatchNormalization] -> Relu|Clip", for messages.
std::string describe_pattern(const kiln_kernel_desc& kernel);

}  // namespace kiln

#endif  // KILN_CORE_PATTERN_STEPS_HPP
