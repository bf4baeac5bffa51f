#include "select/pattern_steps.hpp"

namespace kiln {

bool step_accepts(const kiln_pattern_step& step, const Node& node) {
  if (node.domain != step.domain) return false;
  const std::string alternatives = step.op_type;
  size_t begin = 0;
  while (begin <= alternatives.size()) {
    size_t end = alternatives.find('|', begin);
    if (end == std::string::npos) end = alternatives.size();
    if (alternatives.compare(begin, end - begin, node.op_type) == 0) return true;
    begin = end + 1;
  }
  return false;
}

namespace {

bool optional(const kiln_pattern_step& step) { return (step.flags & KILN_PATTERN_OPTIONAL) != 0; }

// Whether steps[node_index..] fit pattern steps [step_index..]. Tries "present" before "absent" at an optional
// step; patterns are a handful of steps, so the backtracking stays tiny.
bool fits_from(const kiln_kernel_desc& kernel, int32_t step_index, const std::vector<std::unique_ptr<Node>>& steps,
               size_t node_index) {
  if (step_index == kernel.pattern_length) return node_index == steps.size();
  const kiln_pattern_step& step = kernel.pattern[step_index];
  if (node_index < steps.size() && steps[node_index] && step_accepts(step, *steps[node_index]) &&
      fits_from(kernel, step_index + 1, steps, node_index + 1))
    return true;
  return optional(step) && fits_from(kernel, step_index + 1, steps, node_index);
}

}  // namespace

bool steps_fit_pattern(const kiln_kernel_desc& kernel, const std::vector<std::unique_ptr<Node>>& steps) {
  return kernel.pattern_length > 0 && fits_from(kernel, 0, steps, 0);
}

std::string describe_pattern(const kiln_kernel_desc& kernel) {
  std::string text;
  for (int32_t i = 0; i < kernel.pattern_length; ++i) {
    const kiln_pattern_step& step = kernel.pattern[i];
    std::string op = op_label(step.domain, step.op_type);
    if (optional(step)) op = "[" + op + "]";
    text += (i ? " -> " : "") + op;
  }
  return text;
}

}  // namespace kiln
