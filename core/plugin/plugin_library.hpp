// One loaded plugin library: opened with Boost.DLL, its entry called, its descriptors validated.
#ifndef KILN_CORE_PLUGIN_LIBRARY_HPP
#define KILN_CORE_PLUGIN_LIBRARY_HPP

#include <memory>
#include <string>
#include <vector>

#include "kiln/plugin.h"

namespace kiln {

class PluginLibrary {
 public:
  // Opens `path` and validates what it declares; throws kiln::Error naming the path and the problem
  // (the loader's own text when it cannot be opened, both versions on an ABI mismatch).
  static std::unique_ptr<PluginLibrary> open(const std::string& path);
  ~PluginLibrary();

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::string& description() const { return description_; }
  uint32_t abi_version() const { return abi_version_; }
  const std::vector<const kiln_kernel_desc*>& kernels() const { return kernels_; }
  // The device the library brings (ABI >= 1.2), or nullptr.
  const kiln_device_api* device_api() const { return device_api_; }
  // The oldest version of this pack whose plans the library runs (ABI >= 1.4), or "" when it declares none
  // (then only plans built with exactly version()). Checked at load: a semver no newer than version().
  const std::string& plan_compat_min() const { return plan_compat_min_; }

 private:
  struct Handle;
  PluginLibrary() = default;

  std::unique_ptr<Handle> handle_;
  std::string path_, name_, version_, description_, plan_compat_min_;
  uint32_t abi_version_ = 0;
  std::vector<const kiln_kernel_desc*> kernels_;
  const kiln_device_api* device_api_ = nullptr;
};

std::string format_abi_version(uint32_t version);  // "1.0"

}  // namespace kiln

#endif  // KILN_CORE_PLUGIN_LIBRARY_HPP
