// A plan file's contents back into a runnable EnginePlan: loads exactly the plugin libraries the plan names
// (checking name, version and ABI), rebuilds the graph, finds each layer's kernel and restores its prepared
// state (deserialize, or create again when the kernel keeps none).
#ifndef KILN_CORE_PLAN_IMPORT_HPP
#define KILN_CORE_PLAN_IMPORT_HPP

#include <string>

#include "planfile/plan_contents.hpp"
#include "plugin/plugin_registry.hpp"
#include "runtime/engine_plan.hpp"

namespace kiln {

// `source` names the plan in messages. Loads the plan's plugins into `registry` (which must outlive the
// result). Throws kiln::Error naming the plan and the library (and both versions) when a plugin is missing or
// differs from the one the plan was built with.
EnginePlan import_plan(const PlanContents& contents, PluginRegistry& registry, const std::string& source);

}  // namespace kiln

#endif  // KILN_CORE_PLAN_IMPORT_HPP
