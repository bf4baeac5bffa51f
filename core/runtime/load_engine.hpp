// From files to a runnable engine: config -> plugins -> ONNX import -> kernel selection -> prepared kernels.
#ifndef KILN_CORE_LOAD_ENGINE_HPP
#define KILN_CORE_LOAD_ENGINE_HPP

#include <memory>
#include <string>

#include "runtime/engine.hpp"

namespace kiln {

// Loads the config's plugins into `registry` (if not loaded yet), validates the config's kernel names against
// them, imports the model and builds the engine.
std::unique_ptr<Engine> load_engine(const std::string& model_path, const BuildConfig& config,
                                    PluginRegistry& registry, EngineOptions options = {});

}  // namespace kiln

#endif  // KILN_CORE_LOAD_ENGINE_HPP
