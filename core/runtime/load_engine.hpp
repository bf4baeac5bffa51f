// From files to a runnable engine: a plan file (plugins it names -> prepared kernels), or an ONNX model and a
// build config (config -> plugins -> import -> builder).
#ifndef KILN_CORE_LOAD_ENGINE_HPP
#define KILN_CORE_LOAD_ENGINE_HPP

#include <memory>
#include <string>

#include "builder/builder.hpp"
#include "runtime/engine.hpp"

namespace kiln {

// True when the file starts with a plan file's magic.
bool is_plan_file(const std::string& path);

// Loads the config's plugins into `registry` (if not loaded yet), validates the config's kernel names against
// them, imports the model and builds the engine. `report` and `progress` as for build_engine_plan.
std::unique_ptr<Engine> load_engine(const std::string& model_path, const BuildConfig& config,
                                    PluginRegistry& registry, EngineOptions options = {},
                                    BuildReport* report = nullptr, const BuildProgress& progress = {});

// Loads a plan file and exactly the plugins it names.
std::unique_ptr<Engine> load_plan_engine(const std::string& plan_path, PluginRegistry& registry,
                                         EngineOptions options = {});

}  // namespace kiln

#endif  // KILN_CORE_LOAD_ENGINE_HPP
