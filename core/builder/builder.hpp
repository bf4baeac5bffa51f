// The builder: an imported graph and a build config become an EnginePlan. Stages, each reported as it runs:
// input shapes from the profile, graph passes, kernel selection and preparation, the stream schedule, the
// memory plan. `kiln build` serializes the result; `kiln run model.onnx` runs it directly.
#ifndef KILN_CORE_BUILDER_HPP
#define KILN_CORE_BUILDER_HPP

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/engine_plan.hpp"
#include "plugin/plugin_registry.hpp"

namespace kiln {

struct BuildReport {
  size_t nodes_before = 0;  // as imported
  size_t layers_after = 0;  // as planned
  std::vector<std::string> pass_summaries;  // one line per pass
  std::map<std::string, int> fusions;       // fused layers by fused op (e.g. "ConvFused": 49)
  size_t concats_eliminated = 0;            // concats whose inputs' producers write into their slices
  size_t arena_bytes = 0;         // host
  size_t device_arena_bytes = 0;  // device (0 for a CPU build)
  size_t naive_bytes = 0;    // every arena value's size summed: the memory no reuse would need
  size_t fp16_layers = 0;    // device layers running in FP16 (`precision: fp16`)
  size_t int8_layers = 0;    // layers reading quantized values (`precision: int8`, or a QDQ model's folded ops)
  size_t nhwc_values = 0;    // values stored channels-last
  size_t copies = 0;         // host/device copy layers
  size_t heap_values = 0;    // values whose size could not be bounded: allocated per run
  int streams = 1;
  double build_ms = 0;
};

// Called with one line per stage as the build goes ("passes: constant folding: 12 nodes folded").
using BuildProgress = std::function<void(const std::string& line)>;

// Throws kiln::Unsupported when no kernel can run a node, kiln::Error for anything else (a profile that names
// no input, a kernel that fails to prepare...). `report` and `progress` may be null/empty.
EnginePlan build_engine_plan(std::unique_ptr<Graph> graph, const PluginRegistry& registry, const BuildConfig& config,
                             BuildReport* report = nullptr, const BuildProgress& progress = {});

}  // namespace kiln

#endif  // KILN_CORE_BUILDER_HPP
