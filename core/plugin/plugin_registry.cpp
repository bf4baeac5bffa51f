#include "plugin/plugin_registry.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "ir/graph.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kiln {

const PluginLibrary& PluginRegistry::load(const std::string& path) {
  std::error_code ec;
  const std::string canonical = fs::weakly_canonical(path, ec).string();
  for (const auto& lib : libraries_)
    if (lib->path() == canonical) return *lib;
  std::unique_ptr<PluginLibrary> lib = PluginLibrary::open(canonical);
  for (const kiln_kernel_desc* k : lib->kernels()) {
    if (const KernelEntry* existing = find(k->name))
      throw Error("kernel name '" + std::string(k->name) + "' is registered twice: by " + existing->library->path() +
                  " (" + existing->library->name() + ") and by " + lib->path() + " (" + lib->name() + ")");
  }
  for (const kiln_kernel_desc* k : lib->kernels()) {
    by_name_[k->name] = kernels_.size();
    kernels_.push_back(KernelEntry{k, lib.get(), k->infer ? k : nullptr});
  }
  libraries_.push_back(std::move(lib));
  link_shape_functions();
  return *libraries_.back();
}

// Every kernel without a shape function borrows the first loaded one of a plain kernel of the same op.
void PluginRegistry::link_shape_functions() {
  for (KernelEntry& entry : kernels_) {
    if (entry.desc->infer || entry.desc->pattern_length > 0) continue;
    for (const KernelEntry& other : kernels_)
      if (other.desc->infer && other.desc->pattern_length == 0 &&
          std::string(other.desc->op_type) == entry.desc->op_type && std::string(other.desc->domain) == entry.desc->domain) {
        entry.infer_from = other.desc;
        break;
      }
  }
}

void PluginRegistry::load_all(const BuildConfig& config) {
  for (const PluginEntry& entry : config.plugins) {
    try {
      load(resolve_plugin(entry));
    } catch (const Error& e) {
      throw Error(entry.where.str() + ": plugin '" + entry.spec + "': " + e.what());
    }
  }
}

const KernelEntry* PluginRegistry::find(const std::string& kernel_name) const {
  auto it = by_name_.find(kernel_name);
  return it == by_name_.end() ? nullptr : &kernels_[it->second];
}

std::vector<std::string> PluginRegistry::kernel_names() const {
  std::vector<std::string> names;
  for (const KernelEntry& k : kernels_) names.push_back(k.desc->name);
  return names;
}

std::vector<std::string> PluginRegistry::op_labels() const {
  std::vector<std::string> ops;
  for (const KernelEntry& k : kernels_) {
    const std::string label = op_label(k.desc->domain, k.desc->op_type);
    if (std::find(ops.begin(), ops.end(), label) == ops.end()) ops.push_back(label);
  }
  return ops;
}

std::string PluginRegistry::describe_libraries() const {
  if (libraries_.empty()) return "none loaded";
  std::string s;
  for (const auto& lib : libraries_) {
    if (!s.empty()) s += ", ";
    s += lib->name() + " " + lib->version() + " (" + lib->path() + ")";
  }
  return s;
}

namespace {
std::string executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}
}  // namespace

std::vector<std::string> plugin_search_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("KILN_PLUGIN_PATH")) {
    std::stringstream ss(env);
    std::string dir;
    while (std::getline(ss, dir, ':'))
      if (!dir.empty()) dirs.push_back(dir);
  }
  const std::string exe = executable_dir();
  if (!exe.empty()) {
    // The install's plugin folder, and the build tree's (which mirrors a lib/ install).
    for (const char* relative : {KILN_PLUGIN_RELATIVE_DIR, "../lib/kiln/plugins"}) {
      const std::string dir = (fs::path(exe) / relative).lexically_normal().string();
      if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
    }
  }
  return dirs;
}

std::string resolve_plugin(const PluginEntry& entry) {
  if (entry.is_path) {
    if (!fs::exists(entry.path)) throw Error("no such file: " + entry.path);
    return entry.path;
  }
  const std::vector<std::string> dirs = plugin_search_dirs();
  std::string searched;
  for (const std::string& dir : dirs) {
    for (const std::string& file : {"lib" + entry.spec + ".so", entry.spec + ".so"}) {
      const fs::path candidate = fs::path(dir) / file;
      if (fs::exists(candidate)) return candidate.string();
    }
    searched += (searched.empty() ? "" : ", ") + dir;
  }
  throw Error("no library lib" + entry.spec + ".so in the plugin search path (" +
              (searched.empty() ? std::string("empty") : searched) + "; set KILN_PLUGIN_PATH to add folders)");
}

std::string kernel_origin(const KernelEntry& kernel) {
  return kernel.library ? kernel.library->name() + " " + kernel.library->version() : "kiln core";
}

const kiln_device_api* PluginRegistry::device_api(kiln_device device) const {
  for (const auto& library : libraries_)
    if (const kiln_device_api* api = library->device_api(); api && api->device == device) return api;
  return nullptr;
}

}  // namespace kiln
