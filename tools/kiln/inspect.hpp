// kiln inspect: a plan file's layers, tensors, memory and schedule as text, JSON or Graphviz dot. Works from the
// file alone: no plugin is loaded.
#ifndef KILN_CLI_INSPECT_HPP
#define KILN_CLI_INSPECT_HPP

#include <string>

#include "planfile/plan_contents.hpp"

namespace kiln::cli {

// "fp32" for float32 values, "fp16", "int8"...: the precision a layer computes in, from its first output.
std::string precision_of(const PlanContents& plan, const PlanNode& node);
// "linear" or "NHWC": how the layer's first output is stored; "cpu" or "cuda": where the layer runs.
std::string layout_of(const PlanContents& plan, const PlanNode& node);
std::string device_of(const PlanContents& plan, const PlanNode& node);
// "kiln.cpu_reference 0.1.0", or "kiln core" for the core's own layers (device copies).
std::string origin_of(const PlanContents& plan, const PlanNode& node);
// "x float32[1,3,224,224]" for value `index`; "-" for an omitted one.
std::string describe_plan_value(const PlanContents& plan, int32_t index);

// True for an eliminated concat: every input is a view into its output 0, so the layer runs nothing.
bool writes_in_place(const PlanContents& plan, const PlanNode& node);

std::string inspect_text(const PlanContents& plan, const std::string& path);
std::string inspect_json(const PlanContents& plan, const std::string& path);
std::string inspect_dot(const PlanContents& plan);

}  // namespace kiln::cli

#endif  // KILN_CLI_INSPECT_HPP
