#include "builder/calibration.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include "ir/graph_clone.hpp"
#include "quantize/histogram.hpp"
#include "runtime/engine.hpp"
#include "util/error.hpp"
#include "util/npy.hpp"

namespace kiln {

namespace fs = std::filesystem;

namespace {

// The .npy files `path` names: itself, or a folder's, sorted by name (so batches come in a stable order).
std::vector<std::string> npy_files(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    if (!fs::exists(path, ec)) throw Error(path + ": calibration data not found");
    return {path};
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path, ec))
    if (entry.path().extension() == ".npy") files.push_back(entry.path().string());
  if (files.empty()) throw Error(path + ": the calibration folder holds no .npy files");
  std::sort(files.begin(), files.end());
  return files;
}

// Input name -> its batch files; every input the same number of batches.
std::map<std::string, std::vector<std::string>> batch_files(const Graph& graph, const CalibrationConfig& c) {
  std::map<std::string, std::vector<std::string>> files;
  for (const auto& [input, path] : c.data) {
    std::string name = input;
    if (name.empty()) {
      if (graph.inputs().size() != 1)
        throw Error(c.where.str() + ": calibration.data is one path, but the model has " +
                    std::to_string(graph.inputs().size()) + " inputs (" + graph.input_names() +
                    "): give one path per input, e.g. data: {input: folder/}");
      name = graph.inputs()[0]->name;
    } else if (!graph.find_input(name)) {
      throw Error(c.where.str() + ": calibration.data names input '" + name + "', but the model's inputs are " +
                  graph.input_names());
    }
    files[name] = npy_files(path);
  }
  for (const Value* v : graph.inputs())
    if (!files.count(v->name)) throw Error(c.where.str() + ": calibration.data gives nothing for input '" + v->name + "'");
  const size_t batches = files.begin()->second.size();
  for (const auto& [name, list] : files)
    if (list.size() != batches)
      throw Error(c.where.str() + ": calibration.data has " + std::to_string(list.size()) + " batch(es) for input '" +
                  name + "' but " + std::to_string(batches) + " for '" + files.begin()->first + "'");
  return files;
}

// Float activations, and values whose type is not known before the passes (ONNX shape inference may stop short
// of some): those turn out float or not when run, and only float ones are histogrammed.
bool is_observable(const Value& v) {
  return !v.constant && (v.dtype == KILN_DTYPE_FLOAT32 || v.dtype == KILN_DTYPE_UNDEFINED);
}

// The model with every float activation made a graph output, built FP32: what calibration runs. Observing a
// value keeps it from being fused away, which changes no value's contents.
std::unique_ptr<Engine> observing_engine(const Graph& graph, const PluginRegistry& registry, const BuildConfig& config) {
  std::unique_ptr<Graph> copy = clone_graph(graph);
  for (const auto& value : copy->values())
    if (is_observable(*value) && !value->is_graph_output && (value->producer || value->is_graph_input)) {
      value->is_graph_output = true;
      copy->outputs().push_back(value.get());
    }
  BuildConfig fp32 = config;
  fp32.precision = "fp32";
  fp32.layer_precisions.clear();
  fp32.calibration = CalibrationConfig{};
  fp32.time_kernels = false;
  fp32.tuning_cache.clear();
  return std::make_unique<Engine>(std::move(copy), registry, fp32);
}

std::string progress_bar(size_t done, size_t total) {
  const size_t width = 30, filled = total ? done * width / total : width;
  return "calibrate [" + std::string(filled, '#') + std::string(width - filled, ' ') + "] " + std::to_string(done) +
         "/" + std::to_string(total) + " batches";
}

// Histograms of every observed value over the batches.
std::map<std::string, AbsHistogram> observe(const Engine& engine, const std::map<std::string, std::vector<std::string>>& files,
                                            size_t batches, const std::function<void(const std::string&)>& say) {
  std::map<std::string, AbsHistogram> histograms;
  for (size_t b = 0; b < batches; ++b) {
    std::map<std::string, Tensor> inputs;
    for (const auto& [name, list] : files) inputs[name] = read_npy(list[b]);
    std::map<std::string, Tensor> outputs;
    try {
      outputs = engine.run(inputs);
    } catch (const Error& e) {
      throw Error(files.begin()->second[b] + ": calibration batch " + std::to_string(b + 1) + ": " + e.what());
    }
    for (const auto& [name, tensor] : outputs)
      if (tensor.dtype() == KILN_DTYPE_FLOAT32) {
        try {
          histograms[name].add(tensor.as<float>(), static_cast<size_t>(tensor.numel()));
        } catch (const Error& e) {
          throw Error(files.begin()->second[b] + ": value '" + name + "': " + e.what());
        }
      }
    say(progress_bar(b + 1, batches));
  }
  return histograms;
}

CalibrationCache scales_from(const std::map<std::string, AbsHistogram>& histograms, const CalibrationConfig& c) {
  CalibrationCache cache;
  cache.method = calibration_method_from_name(c.method);
  for (const auto& [name, histogram] : histograms)
    if (histogram.total() > 0 && histogram.range() > 0)  // an all-zero tensor has no scale: its readers stay float
      cache.scales[name] = calibrate_int8_scale(histogram, cache.method, c.percentile);
  return cache;
}

}  // namespace

CalibrationCache calibrate(const Graph& graph, const PluginRegistry& registry, const BuildConfig& config,
                           const std::function<void(const std::string&)>& say) {
  const CalibrationConfig& c = config.calibration;
  std::error_code ec;
  if (!c.cache.empty() && fs::exists(c.cache, ec)) {
    CalibrationCache cached = read_calibration_cache(c.cache);
    if (calibration_method_name(cached.method) == c.method) {
      say("calibrate " + std::to_string(cached.scales.size()) + " scale(s) from the cache " + c.cache + " (" + c.method + ")");
      return cached;
    }
    if (c.data.empty())
      throw Error(c.cache + ": the calibration cache was made by " + calibration_method_name(cached.method) +
                  ", the config asks for " + c.method + ", and there is no calibration.data to redo it");
    say("calibrate the cache " + c.cache + " was made by " + calibration_method_name(cached.method) + ": recalibrating");
  }
  if (c.data.empty()) throw Error(c.where.str() + ": calibration.data is not given and the cache " + c.cache + " does not exist");
  const auto files = batch_files(graph, c);
  size_t batches = files.begin()->second.size();
  if (c.max_batches > 0) batches = std::min(batches, static_cast<size_t>(c.max_batches));
  say("calibrate " + c.method + " over " + std::to_string(batches) + " batch(es) of " + files.begin()->second.front() +
      (batches > 1 ? " ..." : ""));
  const std::unique_ptr<Engine> engine = observing_engine(graph, registry, config);
  const CalibrationCache cache = scales_from(observe(*engine, files, batches, say), c);
  if (!c.cache.empty()) {
    write_calibration_cache(cache, c.cache);
    say("calibrate " + std::to_string(cache.scales.size()) + " scale(s) written to " + c.cache);
  }
  return cache;
}

}  // namespace kiln
