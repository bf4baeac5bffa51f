// The YAML build config (schema: docs/config.md). Parsing reports every problem as
// "<file>:<line>:<column>: <what is wrong>".
#ifndef KILN_CORE_BUILD_CONFIG_HPP
#define KILN_CORE_BUILD_CONFIG_HPP

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kiln {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when not from a file
  int column = 0;  // 1-based
  std::string str() const;  // "configs/cpu.yaml:4:5"
};

struct PluginEntry {
  std::string spec;  // as written: a library name ("kiln_cpu_reference") or a path ("./libacme.so")
  bool is_path = false;  // true when spec names a file (contains '/' or ends in .so); `path` is then absolute
  std::string path;
  SourceLocation where;
};

struct KernelPreference {
  std::string op;                     // op_type, or "domain::op_type", or "*" for every op
  std::vector<std::string> patterns;  // kernel names, '*' matches any run of characters
  std::vector<SourceLocation> where;  // per pattern
  SourceLocation op_where;            // of the op key
};

// Which graph passes `kiln build` runs (`optimize:` in the config). Each is on unless switched off.
struct PassSwitches {
  bool dead_code = true;
  bool identity_removal = true;
  bool constant_folding = true;
  bool fusion = true;             // fused patterns that loaded kernels declare
  bool horizontal_fusion = true;  // sibling convolutions on one input become one wider convolution
  bool concat_elimination = true;
};

// The shapes an input may take at run time (`profile:`); a plan is built for the whole range.
struct ShapeRange {
  std::vector<int64_t> min, opt, max;
  SourceLocation where;
};

// `layer_precisions:` one entry: nodes whose name matches `pattern` ('*' globs) run in `precision`.
struct LayerPrecision {
  std::string pattern;
  std::string precision;  // "fp32" or "fp16"
  SourceLocation where;
};

// `calibration:` how `precision: int8` finds its activation scales (docs/quantization.md).
struct CalibrationConfig {
  // Graph input name ("" for a model's single input) -> a .npy file or a folder of them, each one batch.
  std::map<std::string, std::string> data;
  std::string method = "entropy";  // minmax | entropy | percentile
  double percentile = 99.99;       // for method percentile, in (0, 100]
  std::string cache;               // calibration cache: read when it exists, written after calibrating ("" none)
  int max_batches = 0;             // 0: every batch the data holds
  SourceLocation where;
};

struct BuildConfig {
  std::string path;  // the file it came from ("" when built in code)
  std::string device = "cpu";
  std::vector<PluginEntry> plugins;
  std::vector<std::string> precisions = {"fp32"};
  std::string precision = "fp32";  // "fp32", "fp16" (device layers) or "int8" (layers with INT8 kernels; the
                                   // others as fp16 on a device, fp32 on the CPU)
  std::vector<LayerPrecision> layer_precisions;  // per-layer overrides of `precision`, first match wins
  CalibrationConfig calibration;                 // read with precision int8
  std::vector<std::string> keep_fp32;            // `keep_fp32:` layer name patterns that never run INT8
  std::string tuning_cache;  // `tuning: {cache: FILE}`: the timing cache kernels read and extend ("" none)
  bool time_kernels = false;  // `tuning: {kernels: fastest}`: time every kernel that accepts a node, keep the fastest
  std::vector<KernelPreference> kernels;
  PassSwitches optimize;
  int streams = 1;                            // how many streams independent branches may run on
  std::map<std::string, ShapeRange> profile;  // by graph input name
};

// Reads and validates a config file; throws kiln::Error with file:line:column on any problem.
BuildConfig load_build_config(const std::string& path);
// The same from text; `path` names it in messages and anchors relative plugin paths.
BuildConfig parse_build_config(const std::string& yaml_text, const std::string& path);

// Glob match where '*' matches any run of characters (including none).
bool kernel_name_matches(const std::string& pattern, const std::string& kernel_name);

// Throws kiln::Error at the pattern's file:line:column when a preference names no known kernel.
void validate_kernel_preferences(const BuildConfig& config, const std::vector<std::string>& known_kernel_names);

// Throws kiln::Error at the op key's file:line:column when a preference names an op ("Cnv") that no loaded
// kernel implements. `known_ops` are "Conv" for ai.onnx ops and "domain::Op" otherwise.
void validate_kernel_ops(const BuildConfig& config, const std::vector<std::string>& known_ops);

}  // namespace kiln

#endif  // KILN_CORE_BUILD_CONFIG_HPP
