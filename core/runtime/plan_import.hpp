// A plan file's contents back into a runnable EnginePlan: loads exactly the plugin libraries the plan names
// (checking name and version: the version the plan was built with, or a later one whose declared
// compatibility range covers it), rebuilds the graph, finds each layer's kernel and restores its prepared
// state (deserialize, or create again when the kernel keeps none).
#ifndef KILN_CORE_PLAN_IMPORT_HPP
#define KILN_CORE_PLAN_IMPORT_HPP

#include <string>

#include "planfile/plan_contents.hpp"
#include "plugin/plugin_registry.hpp"
#include "runtime/engine_plan.hpp"

namespace kiln {

// `source` names the plan in messages. Loads the plan's plugins into `registry` (which must outlive the
// result). Throws kiln::Error naming the plan and the library (and both versions, and the range the library
// declares) when a plugin is missing, is another pack, or is a version that does not run the plan.
EnginePlan import_plan(const PlanContents& contents, PluginRegistry& registry, const std::string& source);

}  // namespace kiln

#endif  // KILN_CORE_PLAN_IMPORT_HPP
