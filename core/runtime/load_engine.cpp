#include "runtime/load_engine.hpp"

#include <algorithm>
#include <fstream>

#include "onnx/onnx_import.hpp"
#include "planfile/plan_file.hpp"
#include "planfile/plan_format.hpp"
#include "runtime/plan_import.hpp"

namespace kiln {

bool is_plan_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof planfile::kMagic] = {};
  return in.read(magic, sizeof magic) && std::equal(magic, magic + sizeof magic, planfile::kMagic);
}

std::unique_ptr<Engine> load_engine(const std::string& model_path, const BuildConfig& config,
                                    PluginRegistry& registry, EngineOptions options, BuildReport* report,
                                    const BuildProgress& progress) {
  registry.load_all(config);
  validate_kernel_preferences(config, registry.kernel_names());
  validate_kernel_ops(config, registry.op_labels());
  std::unique_ptr<Graph> graph = import_onnx_file(model_path);
  if (progress) progress("import    " + model_path + ": " + std::to_string(graph->nodes().size()) + " nodes");
  return std::make_unique<Engine>(build_engine_plan(std::move(graph), registry, config, report, progress), options);
}

std::unique_ptr<Engine> load_plan_engine(const std::string& plan_path, PluginRegistry& registry,
                                         EngineOptions options) {
  const PlanContents contents = read_plan_file(plan_path);
  return std::make_unique<Engine>(import_plan(contents, registry, plan_path), options);
}

}  // namespace kiln
