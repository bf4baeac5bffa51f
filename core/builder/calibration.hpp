// INT8 calibration (`precision: int8` with `calibration:`; docs/quantization.md): the scale of every float
// activation, from the calibration cache when it exists, else by running the FP32 model over the calibration
// batches with every float value observed, and then written to the cache.
#ifndef KILN_CORE_CALIBRATION_HPP
#define KILN_CORE_CALIBRATION_HPP

#include <functional>
#include <string>

#include "config/build_config.hpp"
#include "ir/graph.hpp"
#include "plugin/plugin_registry.hpp"
#include "quantize/calibration_cache.hpp"

namespace kiln {

// `graph` is the model as imported (with the input profile applied); it is copied, not changed. `say` gets
// one line per stage and a progress line per batch. Throws kiln::Error naming the file for unreadable or
// mismatched calibration data, and when a cache was written by another method and there is no data to redo it.
CalibrationCache calibrate(const Graph& graph, const PluginRegistry& registry, const BuildConfig& config,
                           const std::function<void(const std::string&)>& say);

}  // namespace kiln

#endif  // KILN_CORE_CALIBRATION_HPP
