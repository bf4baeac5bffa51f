// Every loaded plugin library and the kernels they offer, with unique kernel names across libraries.
#ifndef KILN_CORE_PLUGIN_REGISTRY_HPP
#define KILN_CORE_PLUGIN_REGISTRY_HPP

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/build_config.hpp"
#include "plugin/plugin_library.hpp"

namespace kiln {

struct KernelEntry {
  const kiln_kernel_desc* desc;
  const PluginLibrary* library;  // nullptr for the core's own layers (device copies)
  // Shape functions are optional for ai.onnx ops: a kernel without one borrows that of another loaded kernel
  // of the same op (a reference kernel, typically), so kernel packs need not repeat ONNX's shape rules.
  const kiln_kernel_desc* infer_from = nullptr;  // the kernel whose infer hook gives this one's shapes
};

// "kiln.cpu_reference 0.1.0" (the library's name and version), or "kiln core" for the core's own layers.
std::string kernel_origin(const KernelEntry& kernel);

class PluginRegistry {
 public:
  // Loads one library; throws kiln::Error when it fails or when it registers a kernel name another
  // loaded library already did (naming both libraries). Loading the same file twice is a no-op.
  const PluginLibrary& load(const std::string& path);
  // Resolves and loads every plugin the config names.
  void load_all(const BuildConfig& config);

  const std::vector<std::unique_ptr<PluginLibrary>>& libraries() const { return libraries_; }
  const std::vector<KernelEntry>& kernels() const { return kernels_; }
  const KernelEntry* find(const std::string& kernel_name) const;
  // The device API a loaded library brings for `device` (ABI 1.2), or nullptr when none does.
  const kiln_device_api* device_api(kiln_device device) const;
  std::vector<std::string> kernel_names() const;
  // Every op some kernel implements: "Conv" for ai.onnx, "domain::Op" otherwise.
  std::vector<std::string> op_labels() const;
  // "kiln.cpu_reference 0.1.0 (/path/libkiln_cpu_reference.so), ..." for messages.
  std::string describe_libraries() const;

 private:
  void link_shape_functions();

  std::vector<std::unique_ptr<PluginLibrary>> libraries_;
  std::vector<KernelEntry> kernels_;
  std::map<std::string, size_t> by_name_;
};

// Where bare plugin names are looked up: $KILN_PLUGIN_PATH (colon-separated), then the install's plugin
// directory next to the running executable (<exe>/../lib/kiln/plugins).
std::vector<std::string> plugin_search_dirs();
// The file a config entry names; throws kiln::Error at the entry's location when no file exists.
std::string resolve_plugin(const PluginEntry& entry);

}  // namespace kiln

#endif  // KILN_CORE_PLUGIN_REGISTRY_HPP
