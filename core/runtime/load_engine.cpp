#include "runtime/load_engine.hpp"

#include "onnx/onnx_import.hpp"

namespace kiln {

std::unique_ptr<Engine> load_engine(const std::string& model_path, const BuildConfig& config,
                                    PluginRegistry& registry, EngineOptions options) {
  registry.load_all(config);
  validate_kernel_preferences(config, registry.kernel_names());
  validate_kernel_ops(config, registry.op_labels());
  return std::make_unique<Engine>(import_onnx_file(model_path), registry, config, options);
}

}  // namespace kiln
