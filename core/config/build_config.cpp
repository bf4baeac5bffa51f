// Parsing the YAML build config. Each top-level key has one parse function and one row in kKeys; every check
// reports the node it rejects as "<file>:<line>:<column>: <message>".
#include "config/build_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/spelling.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kiln {

std::string SourceLocation::str() const {
  if (line == 0) return file.empty() ? std::string("<config>") : file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

namespace {

// yaml-cpp marks are 0-based, and -1 where it knows no position (then: the top of the file).
SourceLocation location_of(const std::string& file, const YAML::Mark& mark) {
  return SourceLocation{file, mark.line < 0 ? 1 : mark.line + 1, mark.column < 0 ? 1 : mark.column + 1};
}

// The file being read, and the checks every key's parser shares.
class ConfigReader {
 public:
  explicit ConfigReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  SourceLocation at(const YAML::Node& node) const { return location_of(file_, node.Mark()); }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    throw Error(at(node).str() + ": " + message);
  }

  // A single non-empty value; `what` names it in the message ("'device'", "a plugin entry").
  std::string text(const YAML::Node& node, const std::string& what) const {
    if (node.IsNull()) fail(node, what + " has no value");
    if (!node.IsScalar()) fail(node, what + " must be a single value, not a " + (node.IsMap() ? "mapping" : "list"));
    if (node.Scalar().empty()) fail(node, what + " is empty");
    return node.Scalar();
  }

  bool boolean(const YAML::Node& node, const std::string& what) const {
    const std::string value = text(node, what);
    if (value == "true") return true;
    if (value == "false") return false;
    fail(node, what + " must be true or false, not '" + value + "'");
  }

  // An integer in [low, high].
  int64_t integer(const YAML::Node& node, const std::string& what, int64_t low, int64_t high) const {
    const std::string value = text(node, what);
    size_t used = 0;
    int64_t number = 0;
    try {
      number = std::stoll(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || used == 0) fail(node, what + " must be a whole number, not '" + value + "'");
    if (number < low || number > high)
      fail(node, what + " must be between " + std::to_string(low) + " and " + std::to_string(high) + ", not " + value);
    return number;
  }

  // A mapping whose keys are all in `known`, each given once; calls `each(key, value)` in file order.
  template <class Each>
  void mapping(const YAML::Node& node, const std::string& what, const std::vector<std::string>& known,
               const std::string& example, Each each) const {
    if (!node.IsMap()) fail(node, what + " must be a mapping, e.g. " + example);
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = text(it->first, "a key of " + what);
      if (!known.empty() && std::find(known.begin(), known.end(), key) == known.end())
        fail(it->first, "unknown key '" + key + "' in " + what + did_you_mean(key, known));
      if (!seen.insert(key).second) fail(it->first, "key '" + key + "' appears twice in " + what);
      if (it->second.IsNull()) fail(it->first, "'" + key + "' has no value");
      each(key, it->first, it->second);
    }
  }

  // A real number.
  double number(const YAML::Node& node, const std::string& what) const {
    const std::string value = text(node, what);
    size_t used = 0;
    double number = 0;
    try {
      number = std::stod(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || used == 0) fail(node, what + " must be a number, not '" + value + "'");
    return number;
  }

  std::vector<YAML::Node> list(const YAML::Node& node, const std::string& what, const std::string& example) const {
    if (!node.IsSequence()) fail(node, what + " must be a list, e.g. " + example);
    std::vector<YAML::Node> items(node.begin(), node.end());
    for (size_t i = 0; i < items.size(); ++i)  // an empty item's mark is the next token's: name the list instead
      if (items[i].IsNull()) fail(node, what + ": item " + std::to_string(i + 1) + " has no value");
    return items;
  }

 private:
  std::string file_;
};

// --- One parse function per top-level key. `value` is never null (the caller checks).

void parse_version(const ConfigReader& reader, const YAML::Node& value, BuildConfig&) {
  const std::string version = reader.text(value, "'version'");
  if (version != "1") reader.fail(value, "unsupported config version '" + version + "' (this kiln reads version 1)");
}

void parse_device(const ConfigReader& reader, const YAML::Node& value, BuildConfig& config) {
  static const std::vector<std::string> devices = {"cpu", "cuda"};
  config.device = reader.text(value, "'device'");
  if (std::find(devices.begin(), devices.end(), config.device) == devices.end())
    reader.fail(value, "unknown device '" + config.device + "' (expected cpu or cuda)" +
                           did_you_mean(config.device, devices));
}

// A name is looked up later in the plugin search path; a path is fixed now, relative to the config's folder.
PluginEntry plugin_entry(const ConfigReader& reader, const YAML::Node& item) {
  PluginEntry entry;
  entry.spec = reader.text(item, "a plugin entry");
  entry.where = reader.at(item);
  const bool ends_in_so = entry.spec.size() > 3 && entry.spec.compare(entry.spec.size() - 3, 3, ".so") == 0;
  entry.is_path = entry.spec.find('/') != std::string::npos || ends_in_so;
  if (entry.is_path) {
    std::error_code ignored;  // without a current directory the path stays relative, and loading says so
    const fs::path path = fs::path(reader.file()).parent_path() / entry.spec;  // an absolute spec replaces the folder
    entry.path = fs::absolute(path, ignored).lexically_normal().string();
    if (entry.path.empty()) entry.path = path.lexically_normal().string();
  }
  return entry;
}

void parse_plugins(const ConfigReader& reader, const YAML::Node& value, BuildConfig& config) {
  const std::vector<YAML::Node> items = reader.list(value, "'plugins'", "[kiln_cpu_reference]");
  if (items.empty())
    reader.fail(value, "'plugins' is empty: name at least one plugin library, e.g. [kiln_cpu_reference]");
  for (const YAML::Node& item : items) {
    PluginEntry entry = plugin_entry(reader, item);
    for (const PluginEntry& earlier : config.plugins)
      if (earlier.spec == entry.spec)
        reader.fail(item, "plugin '" + entry.spec + "' is listed twice (first at line " +
                              std::to_string(earlier.where.line) + ")");
    config.plugins.push_back(std::move(entry));
  }
}

void parse_precisions(const ConfigReader& reader, const YAML::Node& value, BuildConfig& config) {
  static const std::vector<std::string> precisions = {"fp32", "fp16", "int8"};
  config.precisions.clear();  // the list replaces the default [fp32]
  for (const YAML::Node& item : reader.list(value, "'precisions'", "[fp32, fp16]")) {
    const std::string precision = reader.text(item, "a precision");
    if (std::find(precisions.begin(), precisions.end(), precision) == precisions.end())
      reader.fail(item, "unknown precision '" + precision + "' (expected fp32, fp16 or int8)" +
                            did_you_mean(precision, precisions));
    if (std::find(config.precisions.begin(), config.precisions.end(), precision) != config.precisions.end())
      reader.fail(item, "precision '" + precision + "' is listed twice");
    config.precisions.push_back(precision);
  }
  if (config.precisions.empty()) reader.fail(value, "'precisions' is empty: allow at least one, e.g. [fp32]");
}

KernelPreference kernel_preference(const ConfigReader& reader, const YAML::Node& op, const YAML::Node& list) {
  KernelPreference preference;
  preference.op = reader.text(op, "an op name under 'kernels'");
  preference.op_where = reader.at(op);
  const std::string what = "the kernel list of '" + preference.op + "'";
  if (list.IsNull()) reader.fail(op, what + " has no value");  // a null's mark is the next line: point at the op
  for (const YAML::Node& item : reader.list(list, what, "[kiln.cpu_ref.*]")) {
    preference.patterns.push_back(reader.text(item, "a kernel name"));
    preference.where.push_back(reader.at(item));
  }
  if (preference.patterns.empty())
    reader.fail(list, what + " is empty: name at least one kernel, e.g. [kiln.cpu_ref.*]");
  return preference;
}

void parse_kernels(const ConfigReader& reader, const YAML::Node& value, BuildConfig& config) {
  if (!value.IsMap()) reader.fail(value, "'kernels' must map op names to kernel lists, e.g. Conv: [kiln.cpu_ref.*]");
  std::map<std::string, int> first_line;  // op -> line of its first entry
  for (auto it = value.begin(); it != value.end(); ++it) {
    KernelPreference preference = kernel_preference(reader, it->first, it->second);
    const int line = reader.at(it->first).line;
    if (auto [first, inserted] = first_line.emplace(preference.op, line); !inserted)
      reader.fail(it->first, "op '" + preference.op + "' is listed twice under 'kernels' (first at line " +
                                 std::to_string(first->second) + ")");
    config.kernels.push_back(std::move(preference));
  }
}

// optimize: {constant_folding: false, ...}: switches graph passes off (each is on by default).
void parse_optimize(const ConfigReader& reader, const YAML::Node& value, BuildConfig& config) {
  PassSwitches& o = config.optimize;
  const std::map<std::string, bool*> switches = {
      {"dead_code", &o.dead_code},       {"identity_removal", &o.identity_removal},
      {"constant_folding", &o.constant_folding}, {"fusion", &o.fusion},
      {"horizontal_fusion", &o.horizontal_fusion}, {"concat_elimination", &o.concat_elimination}};
  std::vector<std::string> names;
  for (const auto& entry : switches) names.push_back(entry.first);
  reader.mapping(value, "'optimize'", names, "{constant_folding: false}",
                 [&](const std::string& key, const YAML::Node&, const YAML::Node& v) {
                   *switches.at(key) = reader.boolean(v, "'optimize." + key + "'");
                 });
}

// One float precision, as `precision:` and `layer_precisions:` take it.
std::string float_precision(const ConfigReader& reader, const YAML::Node& value, const std::string& what) {
  static const std::vector<std::string> choices = {"fp32", "fp16"};
  const std::string precision = reader.text(value, what);
  if (std::find(choices.begin(), choices.end(), precision) == choices.end())
    reader.fail(value, "unknown precision '" + precision + "' for " + what + " (expected fp32 or fp16)" +
                           did_you_mean(precision, choices));
  return precision;
}

// precision: fp16 — device layers whose kernels support it run in FP16; int8 — layers with INT8 kernels run
// INT8 (see docs/config.md).
void parse_precision(const ConfigReader& reader, const YAML::Node& value, BuildConfig& config) {
  static const std::vector<std::string> choices = {"fp32", "fp16", "int8"};
  config.precision = reader.text(value, "'precision'");
  if (std::find(choices.begin(), choices.end(), config.precision) == choices.end())
    reader.fail(value, "unknown precision '" + config.precision + "' for 'precision' (expected fp32, fp16 or int8)" +
                           did_you_mean(config.precision, choices));
}

// A path relative to the config's folder.
std::string config_relative(const ConfigReader& reader, const YAML::Node& value, const std::string& what) {
  return (fs::path(reader.file()).parent_path() / reader.text(value, what)).lexically_normal().string();
}

// calibration.data: a path for the model's single input, or {input: path, ...}.
void parse_calibration_data(const ConfigReader& reader, const YAML::Node& value, CalibrationConfig& calibration) {
  if (!value.IsMap()) {
    calibration.data[""] = config_relative(reader, value, "'calibration.data'");
    return;
  }
  reader.mapping(value, "'calibration.data'", {}, "{input: calibration/}",
                 [&](const std::string& input, const YAML::Node&, const YAML::Node& v) {
                   calibration.data[input] = config_relative(reader, v, "'calibration.data." + input + "'");
                 });
}

// calibration: {data: DIR, method: entropy, percentile: 99.99, cache: FILE, max_batches: N}
void parse_calibration(const ConfigReader& reader, const YAML::Node& value, BuildConfig& config) {
  CalibrationConfig& c = config.calibration;
  c.where = reader.at(value);
  reader.mapping(value, "'calibration'", {"data", "method", "percentile", "cache", "max_batches"},
                 "{data: calibration/, method: entropy, cache: model.calib}",
                 [&](const std::string& key, const YAML::Node&, const YAML::Node& v) {
                   if (key == "data") return parse_calibration_data(reader, v, c);
                   if (key == "cache") {
                     c.cache = config_relative(reader, v, "'calibration.cache'");
                   } else if (key == "max_batches") {
                     c.max_batches = static_cast<int>(reader.integer(v, "'calibration.max_batches'", 1, 1 << 30));
                   } else if (key == "percentile") {
                     c.percentile = reader.number(v, "'calibration.percentile'");
                     if (!(c.percentile > 0 && c.percentile <= 100))
                       reader.fail(v, "'calibration.percentile' must be in (0, 100], not " + v.Scalar());
                   } else {
                     static const std::vector<std::string> methods = {"minmax", "entropy", "percentile"};
                     c.method = reader.text(v, "'calibration.method'");
                     if (std::find(methods.begin(), methods.end(), c.method) == methods.end())
                       reader.fail(v, "unknown calibration method '" + c.method + "' (expected minmax, entropy or percentile)" +
                                          did_you_mean(c.method, methods));
                   }
                 });
  if (c.data.empty() && c.cache.empty())
    reader.fail(value, "'calibration' needs 'data' (a .npy file or folder of them), a 'cache' file, or both");
}

// keep_fp32: ["fc*", "conv1"] — layers (name patterns) that stay in float under precision int8.
void parse_keep_fp32(const ConfigReader& reader, const YAML::Node& value, BuildConfig& config) {
  for (const YAML::Node& item : reader.list(value, "'keep_fp32'", "[\"fc*\", conv1]"))
    config.keep_fp32.push_back(reader.text(item, "a keep_fp32 pattern"));
}

// layer_precisions: {"conv1": fp32, "layer4.*": fp16} — node-name patterns, first match wins.
void parse_layer_precisions(const ConfigReader& reader, const YAML::Node& value, BuildConfig& config) {
  reader.mapping(value, "'layer_precisions'", {}, "{\"/fc/*\": fp32}",
                 [&](const std::string& pattern, const YAML::Node& key, const YAML::Node& v) {
                   config.layer_precisions.push_back(
                       {pattern, float_precision(reader, v, "'layer_precisions." + pattern + "'"), reader.at(key)});
                 });
}

// tuning: {cache: FILE, kernels: first|fastest} — the timing cache, relative to the config's folder, and whether
// the kernels that accept a node are timed against each other (fastest) or taken in preference order (first).
void parse_tuning(const ConfigReader& reader, const YAML::Node& value, BuildConfig& config) {
  reader.mapping(value, "'tuning'", {"cache", "kernels"}, "{cache: kiln-timing.cache, kernels: fastest}",
                 [&](const std::string& key, const YAML::Node&, const YAML::Node& v) {
                   if (key == "kernels") {
                     static const std::vector<std::string> choices = {"first", "fastest"};
                     const std::string choice = reader.text(v, "'tuning.kernels'");
                     if (std::find(choices.begin(), choices.end(), choice) == choices.end())
                       reader.fail(v, "'tuning.kernels' must be first or fastest, not '" + choice + "'" +
                                          did_you_mean(choice, choices));
                     config.time_kernels = choice == "fastest";
                     return;
                   }
                   const fs::path path = fs::path(reader.file()).parent_path() / reader.text(v, "'tuning.cache'");
                   config.tuning_cache = path.lexically_normal().string();
                 });
}

void parse_streams(const ConfigReader& reader, const YAML::Node& value, BuildConfig& config) {
  config.streams = static_cast<int>(reader.integer(value, "'streams'", 1, 64));
}

std::vector<int64_t> profile_dims(const ConfigReader& reader, const YAML::Node& list, const std::string& what) {
  std::vector<int64_t> dims;
  for (const YAML::Node& item : reader.list(list, what, "[1, 3, 224, 224]"))
    dims.push_back(reader.integer(item, "a dim of " + what, 0, int64_t(1) << 40));
  return dims;
}

ShapeRange shape_range(const ConfigReader& reader, const std::string& input, const YAML::Node& value) {
  ShapeRange range;
  range.where = reader.at(value);
  const std::string what = "the profile of input '" + input + "'";
  reader.mapping(value, what, {"min", "opt", "max"}, "{min: [1,3,224,224], opt: [8,3,224,224], max: [32,3,224,224]}",
                 [&](const std::string& key, const YAML::Node&, const YAML::Node& v) {
                   std::vector<int64_t>& dims = key == "min" ? range.min : key == "opt" ? range.opt : range.max;
                   dims = profile_dims(reader, v, "'" + input + "." + key + "'");
                 });
  if (range.min.empty() || range.max.empty())
    reader.fail(value, what + " needs both 'min' and 'max' (and optionally 'opt')");
  const bool has_opt = !range.opt.empty();
  if (!has_opt) range.opt = range.max;
  if (range.min.size() != range.max.size() || range.opt.size() != range.max.size())
    reader.fail(value, what + ": 'min', 'opt' and 'max' must have the same rank");
  for (size_t i = 0; i < range.max.size(); ++i)
    if (range.min[i] > range.opt[i] || range.opt[i] > range.max[i])
      reader.fail(value, what + ": dim " + std::to_string(i) + " must satisfy " +
                             (has_opt ? "min <= opt <= max (" + std::to_string(range.min[i]) + ", " +
                                            std::to_string(range.opt[i]) + ", "
                                      : "min <= max (" + std::to_string(range.min[i]) + ", ") +
                             std::to_string(range.max[i]) + ")");
  return range;
}

// profile: {input_name: {min: [...], opt: [...], max: [...]}}
void parse_profile(const ConfigReader& reader, const YAML::Node& value, BuildConfig& config) {
  reader.mapping(value, "'profile'", {}, "{input: {min: [1,3,224,224], max: [32,3,224,224]}}",
                 [&](const std::string& input, const YAML::Node&, const YAML::Node& v) {
                   config.profile[input] = shape_range(reader, input, v);
                 });
}

// Every top-level key. A new key is one row here and one parse function above (and a section in docs/config.md).
struct KeySpec {
  const char* name;
  bool required;
  void (*parse)(const ConfigReader&, const YAML::Node& value, BuildConfig&);
};
const KeySpec kKeys[] = {
    {"version", false, parse_version},        {"device", false, parse_device}, {"plugins", true, parse_plugins},
    {"precisions", false, parse_precisions}, {"kernels", false, parse_kernels},
    {"optimize", false, parse_optimize},      {"streams", false, parse_streams}, {"profile", false, parse_profile},
    {"precision", false, parse_precision},    {"layer_precisions", false, parse_layer_precisions},
    {"tuning", false, parse_tuning},          {"calibration", false, parse_calibration},
    {"keep_fp32", false, parse_keep_fp32},
};

const KeySpec* find_key(const std::string& name) {
  for (const KeySpec& key : kKeys)
    if (name == key.name) return &key;
  return nullptr;
}

std::vector<std::string> key_names() {
  std::vector<std::string> names;
  for (const KeySpec& key : kKeys) names.push_back(key.name);
  return names;
}

YAML::Node load_yaml(const std::string& yaml_text, const std::string& path) {
  try {
    return YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw Error(location_of(path, e.mark).str() + ": malformed YAML: " + e.msg);
  }
}

// Implicit INT8 needs scales from somewhere; calibration without INT8 would be silently ignored.
void check_int8_keys(const ConfigReader& reader, const YAML::Node& root, const BuildConfig& config) {
  const bool calibrated = root["calibration"].IsDefined();
  if (config.precision == "int8" && !calibrated)
    reader.fail(root["precision"], "precision int8 needs a 'calibration' section with the data to calibrate on or a "
                                   "calibration cache, e.g. calibration: {data: calibration/, cache: model.calib}");
  if (calibrated && config.precision != "int8")
    reader.fail(root["calibration"], "'calibration' is read only with precision: int8 (precision is " + config.precision + ")");
  if (root["keep_fp32"].IsDefined() && config.precision != "int8")
    reader.fail(root["keep_fp32"], "'keep_fp32' is read only with precision: int8 (precision is " + config.precision + ")");
}

void parse_root(const ConfigReader& reader, const YAML::Node& root, BuildConfig& config) {
  const std::string& path = reader.file();
  if (!root.IsMap()) {
    const char* found = root.IsNull() ? "this file has none" : root.IsSequence() ? "found a list" : "found a value";
    throw Error(path + ":1:1: a build config is a YAML mapping of keys (" + found + "); see docs/config.md");
  }
  std::set<std::string> seen;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string name = reader.text(it->first, "a key");
    const KeySpec* key = find_key(name);
    if (!key) reader.fail(it->first, "unknown key '" + name + "'" + did_you_mean(name, key_names()));
    if (!seen.insert(name).second) reader.fail(it->first, "key '" + name + "' appears twice");
    if (it->second.IsNull()) reader.fail(it->first, "'" + name + "' has no value");  // its mark would be the next line
    key->parse(reader, it->second, config);
  }
  for (const KeySpec& key : kKeys)
    if (key.required && !seen.count(key.name))
      throw Error(path + ":1:1: missing key '" + key.name + "' (see docs/config.md)");
  check_int8_keys(reader, root, config);
}

}  // namespace

BuildConfig parse_build_config(const std::string& yaml_text, const std::string& path) {
  const ConfigReader reader(path);
  const YAML::Node root = load_yaml(yaml_text, path);
  BuildConfig config;
  config.path = path;
  try {
    parse_root(reader, root, config);
  } catch (const YAML::Exception& e) {  // yaml-cpp should not throw once loaded; if it does, still say where
    throw Error(location_of(path, e.mark).str() + ": " + e.msg);
  }
  return config;
}

BuildConfig load_build_config(const std::string& path) {
  std::error_code ec;
  std::ifstream in(path);
  if (!in || fs::is_directory(path, ec)) throw Error(path + ": cannot open config file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_build_config(text.str(), path);
}

}  // namespace kiln
