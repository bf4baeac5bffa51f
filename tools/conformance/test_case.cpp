#include "test_case.hpp"

#include <algorithm>
#include <filesystem>

#include "compare.hpp"
#include "onnx/onnx_import.hpp"
#include "runtime/load_engine.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kiln::conformance {

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::Pass: return "PASS";
    case Outcome::Wrong: return "WRONG";
    case Outcome::Unsupported: return "UNSUPPORTED";
    case Outcome::Error: return "ERROR";
    case Outcome::Crash: return "CRASH";
    case Outcome::Timeout: return "TIMEOUT";
  }
  return "?";
}

namespace {

// Files "<prefix><i>.pb" in index order.
std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<int, fs::path>> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".pb")
      found.emplace_back(std::stoi(name.substr(prefix.size())), entry.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> files;
  for (auto& f : found) files.push_back(f.second);
  return files;
}

std::vector<fs::path> data_sets(const fs::path& dir) {
  std::vector<fs::path> sets;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0)
      sets.push_back(entry.path());
  std::sort(sets.begin(), sets.end());
  return sets;
}

// "" when the data set passes, else why not.
std::string run_data_set(const Engine& engine, const fs::path& set) {
  const Graph& graph = engine.graph();
  const std::vector<fs::path> input_files = numbered_files(set, "input_");
  if (input_files.size() != graph.inputs().size())
    throw Error(set.string() + ": " + std::to_string(input_files.size()) + " input files for " +
                std::to_string(graph.inputs().size()) + " model inputs");
  std::map<std::string, Tensor> inputs;
  for (size_t i = 0; i < input_files.size(); ++i)
    inputs[graph.inputs()[i]->name] = read_tensor_proto_file(input_files[i].string());
  const std::map<std::string, Tensor> outputs = engine.run(inputs);
  const std::vector<fs::path> output_files = numbered_files(set, "output_");
  if (output_files.size() != graph.outputs().size())
    throw Error(set.string() + ": " + std::to_string(output_files.size()) + " output files for " +
                std::to_string(graph.outputs().size()) + " model outputs");
  for (size_t i = 0; i < output_files.size(); ++i) {
    const std::string& name = graph.outputs()[i]->name;
    const std::string diff = compare(outputs.at(name), read_tensor_proto_file(output_files[i].string()));
    if (!diff.empty()) return set.filename().string() + " output '" + name + "': " + diff;
  }
  return "";
}

}  // namespace

Result run_test_case(const std::string& dir, const BuildConfig& config, PluginRegistry& registry) {
  try {
    EngineOptions options;
    options.poison_outputs = true;
    const std::unique_ptr<Engine> engine = load_engine((fs::path(dir) / "model.onnx").string(), config, registry,
                                                       options);
    for (const fs::path& set : data_sets(dir)) {
      const std::string diff = run_data_set(*engine, set);
      if (!diff.empty()) return {Outcome::Wrong, diff};
    }
    return {Outcome::Pass, ""};
  } catch (const Unsupported& e) {
    return {Outcome::Unsupported, e.what()};
  } catch (const std::exception& e) {
    return {Outcome::Error, e.what()};
  }
}

}  // namespace kiln::conformance
