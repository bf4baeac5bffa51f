#include "config/build_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kiln {

std::string SourceLocation::str() const {
  if (line == 0) return file.empty() ? std::string("<config>") : file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

namespace {

SourceLocation location(const std::string& file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return SourceLocation{file, mark.line + 1, mark.column + 1};
}

[[noreturn]] void fail_at(const std::string& file, const YAML::Node& node, const std::string& message) {
  throw Error(location(file, node).str() + ": " + message);
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " — did you mean 'x'?" for the closest of `known`, when it is close enough to be a typo.
std::string suggestion(const std::string& word, const std::vector<std::string>& known) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& k : known) {
    const size_t d = edit_distance(word, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  if (best.empty() || best_distance > std::max<size_t>(2, word.size() / 3)) return "";
  return " — did you mean '" + best + "'?";
}

std::string scalar(const std::string& file, const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) fail_at(file, node, what + " must be a single value");
  return node.Scalar();
}

std::vector<YAML::Node> sequence(const std::string& file, const YAML::Node& node, const std::string& what) {
  if (!node.IsSequence()) fail_at(file, node, what + " must be a list, e.g. [a, b]");
  return std::vector<YAML::Node>(node.begin(), node.end());
}

void parse_version(const std::string& file, const YAML::Node& node, BuildConfig&) {
  if (scalar(file, node, "'version'") != "1") fail_at(file, node, "unsupported config version (this kiln reads 1)");
}

void parse_device(const std::string& file, const YAML::Node& node, BuildConfig& config) {
  const std::string device = scalar(file, node, "'device'");
  if (device != "cpu" && device != "cuda")
    fail_at(file, node, "unknown device '" + device + "' (expected cpu or cuda)");
  config.device = device;
}

void parse_plugins(const std::string& file, const YAML::Node& node, BuildConfig& config) {
  const std::vector<YAML::Node> items = sequence(file, node, "'plugins'");
  if (items.empty()) fail_at(file, node, "'plugins' is empty: name at least one plugin library");
  const fs::path base = fs::path(file).parent_path();
  for (const YAML::Node& item : items) {
    PluginEntry entry;
    entry.spec = scalar(file, item, "a plugin entry");
    entry.where = location(file, item);
    const bool ends_in_so = entry.spec.size() > 3 && entry.spec.compare(entry.spec.size() - 3, 3, ".so") == 0;
    entry.is_path = entry.spec.find('/') != std::string::npos || ends_in_so;
    if (entry.is_path) {
      const fs::path p(entry.spec);
      entry.path = (p.is_absolute() ? p : base / p).lexically_normal().string();
    }
    config.plugins.push_back(entry);
  }
}

void parse_precisions(const std::string& file, const YAML::Node& node, BuildConfig& config) {
  static const std::vector<std::string> known = {"fp32", "fp16", "int8"};
  config.precisions.clear();
  for (const YAML::Node& item : sequence(file, node, "'precisions'")) {
    const std::string p = scalar(file, item, "a precision");
    if (std::find(known.begin(), known.end(), p) == known.end())
      fail_at(file, item, "unknown precision '" + p + "' (expected fp32, fp16 or int8)" + suggestion(p, known));
    config.precisions.push_back(p);
  }
  if (config.precisions.empty()) fail_at(file, node, "'precisions' is empty");
}

void parse_kernels(const std::string& file, const YAML::Node& node, BuildConfig& config) {
  if (!node.IsMap()) fail_at(file, node, "'kernels' must map op names to kernel lists, e.g. Conv: [kiln.cpu_ref.*]");
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    KernelPreference preference;
    preference.op = scalar(file, it->first, "an op name");
    if (!seen.insert(preference.op).second)
      fail_at(file, it->first, "op '" + preference.op + "' is listed twice under 'kernels'");
    for (const YAML::Node& item : sequence(file, it->second, "the kernel list of '" + preference.op + "'")) {
      preference.patterns.push_back(scalar(file, item, "a kernel name"));
      preference.where.push_back(location(file, item));
    }
    if (preference.patterns.empty()) fail_at(file, it->second, "the kernel list of '" + preference.op + "' is empty");
    config.kernels.push_back(preference);
  }
}

// Every top-level key, with its parser. A new key is one line here.
using KeyParser = std::function<void(const std::string&, const YAML::Node&, BuildConfig&)>;
const std::map<std::string, KeyParser>& key_parsers() {
  static const std::map<std::string, KeyParser> parsers = {
      {"version", parse_version},       {"device", parse_device},   {"plugins", parse_plugins},
      {"precisions", parse_precisions}, {"kernels", parse_kernels},
  };
  return parsers;
}

}  // namespace

BuildConfig parse_build_config(const std::string& yaml_text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw Error(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                ": malformed YAML: " + e.msg);
  }
  if (!root.IsMap()) throw Error(path + ":1:1: a build config is a YAML mapping (key: value lines); see docs/config.md");
  BuildConfig config;
  config.path = path;
  std::vector<std::string> known;
  for (const auto& [key, parser] : key_parsers()) known.push_back(key);
  try {
    for (auto it = root.begin(); it != root.end(); ++it) {
      const std::string key = scalar(path, it->first, "a key");
      auto parser = key_parsers().find(key);
      if (parser == key_parsers().end()) fail_at(path, it->first, "unknown key '" + key + "'" + suggestion(key, known));
      parser->second(path, it->second, config);
    }
  } catch (const YAML::Exception& e) {
    throw Error(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root["plugins"]) throw Error(path + ":1:1: missing key 'plugins': name at least one plugin library");
  return config;
}

BuildConfig load_build_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open config file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_build_config(text.str(), path);
}

bool kernel_name_matches(const std::string& pattern, const std::string& name) {
  // Iterative glob with backtracking to the last '*'.
  size_t p = 0, n = 0, star = std::string::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

void validate_kernel_preferences(const BuildConfig& config, const std::vector<std::string>& known_kernel_names) {
  for (const KernelPreference& preference : config.kernels) {
    for (size_t i = 0; i < preference.patterns.size(); ++i) {
      const std::string& pattern = preference.patterns[i];
      const bool matches = std::any_of(known_kernel_names.begin(), known_kernel_names.end(),
                                       [&](const std::string& k) { return kernel_name_matches(pattern, k); });
      if (matches) continue;
      const SourceLocation where = i < preference.where.size() ? preference.where[i] : SourceLocation{config.path};
      throw Error(where.str() + ": no loaded plugin offers a kernel named '" + pattern + "' (for '" + preference.op +
                  "')" + suggestion(pattern, known_kernel_names) + "; `kiln plugins --config " + config.path +
                  "` lists them");
    }
  }
}

}  // namespace kiln
