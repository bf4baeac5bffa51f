#include "plugin/plugin_library.hpp"

#define BOOST_DLL_USE_STD_FS
#include <dlfcn.h>

#include <boost/dll/shared_library.hpp>

#include "plugin/host_api.hpp"
#include "util/error.hpp"
#include "util/semver.hpp"

namespace kiln {

struct PluginLibrary::Handle {
  boost::dll::shared_library library;
};

std::string format_abi_version(uint32_t version) {
  return std::to_string(KILN_ABI_MAJOR(version)) + "." + std::to_string(KILN_ABI_MINOR(version));
}

namespace {

// Boost.DLL clears dlerror(); ask the dynamic loader again for its own words.
std::string loader_text(const std::string& path) {
  void* h = dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL);
  if (h) {
    dlclose(h);
    return "unknown loader error";
  }
  const char* text = dlerror();
  return text ? text : "unknown loader error";
}

void check_abi(const std::string& path, const kiln_plugin_desc& desc) {
  const uint32_t plugin = desc.abi_version;
  const bool other_major = KILN_ABI_MAJOR(plugin) != KILN_ABI_VERSION_MAJOR;
  const bool newer_minor = !other_major && KILN_ABI_MINOR(plugin) > KILN_ABI_VERSION_MINOR;
  if (other_major || newer_minor)
    throw Error(path + ": plugin '" + (desc.name ? desc.name : "?") + "' was built for kiln plugin ABI " +
                format_abi_version(plugin) + ", but this kiln provides ABI " + format_abi_version(KILN_ABI_VERSION) +
                (other_major ? " (major versions differ: rebuild the plugin against this kiln's SDK)"
                             : " (the plugin needs a newer kiln)"));
}

void check_kernel(const std::string& path, const kiln_kernel_desc* k, int index) {
  const std::string where = path + ": kernel #" + std::to_string(index);
  if (!k) throw Error(where + " is NULL");
  if (k->struct_size < offsetof(kiln_kernel_desc, deserialize) + sizeof(k->deserialize))
    throw Error(where + " has struct_size " + std::to_string(k->struct_size) + ", smaller than ABI 1.0's");
  if (!k->name || !*k->name) throw Error(where + " has no name");
  const std::string named = path + ": kernel '" + k->name + "'";
  if (!k->op_type || !k->domain) throw Error(named + " has no op_type or domain");
  if (!k->create || !k->execute || !k->destroy) throw Error(named + " lacks create, execute or destroy");
  if (k->opset_min > k->opset_max) throw Error(named + " has opset_min > opset_max");
  if (k->num_input_specs < 0 || (k->num_input_specs > 0 && !k->inputs) || k->num_output_specs < 0 ||
      (k->num_output_specs > 0 && !k->outputs))
    throw Error(named + " has malformed input/output specs");
  if (k->pattern_length < 0 || (k->pattern_length > 0 && !k->pattern)) throw Error(named + " has a malformed pattern");
}

// The device API of a library built for ABI >= 1.2 that declares one; its table must hold every 1.2 function.
const kiln_device_api* device_api_of(const std::string& path, const kiln_plugin_desc& desc) {
  if (KILN_ABI_MINOR(desc.abi_version) < 2 || desc.struct_size < offsetof(kiln_plugin_desc, device_api) + sizeof(void*))
    return nullptr;
  const kiln_device_api* api = desc.device_api;
  if (!api) return nullptr;
  if (api->struct_size < offsetof(kiln_device_api, graph_destroy) + sizeof(api->graph_destroy))
    throw Error(path + ": device API table is too small (struct_size " + std::to_string(api->struct_size) + ")");
  const void* functions[] = {
      reinterpret_cast<const void*>(api->device_count),  reinterpret_cast<const void*>(api->device_name),
      reinterpret_cast<const void*>(api->malloc),        reinterpret_cast<const void*>(api->free),
      reinterpret_cast<const void*>(api->host_malloc),   reinterpret_cast<const void*>(api->host_free),
      reinterpret_cast<const void*>(api->stream_create), reinterpret_cast<const void*>(api->stream_destroy),
      reinterpret_cast<const void*>(api->stream_synchronize), reinterpret_cast<const void*>(api->event_create),
      reinterpret_cast<const void*>(api->event_destroy), reinterpret_cast<const void*>(api->event_record),
      reinterpret_cast<const void*>(api->stream_wait_event), reinterpret_cast<const void*>(api->copy_async),
      reinterpret_cast<const void*>(api->fill_async),    reinterpret_cast<const void*>(api->capture_begin),
      reinterpret_cast<const void*>(api->capture_end),   reinterpret_cast<const void*>(api->graph_launch),
      reinterpret_cast<const void*>(api->graph_destroy)};
  for (const void* f : functions)
    if (!f) throw Error(path + ": device API table has a NULL function (every kiln_device_api function is required)");
  return api;
}

// From ABI 1.4 the pack's version is a semver, and the oldest version whose plans it runs, if it declares one,
// is a semver no newer than its own. Returns that declaration, or "" when there is none.
std::string plan_compat_min_of(const std::string& path, const kiln_plugin_desc& desc) {
  if (KILN_ABI_MINOR(desc.abi_version) < 4) return "";
  const std::string named = path + ": plugin '" + desc.name + "'";
  const std::optional<SemVer> version = parse_semver(desc.version);
  if (!version)
    throw Error(named + " has version '" + desc.version +
                "', which is not a semantic version MAJOR.MINOR.PATCH[-pre][+build] (required from plugin ABI 1.4)");
  if (desc.struct_size < offsetof(kiln_plugin_desc, plan_compat_min) + sizeof(desc.plan_compat_min) ||
      !desc.plan_compat_min)
    return "";
  const std::string min = desc.plan_compat_min;
  const std::optional<SemVer> oldest = parse_semver(min);
  if (!oldest)
    throw Error(named + " declares plan_compat_min '" + min + "', which is not a semantic version MAJOR.MINOR.PATCH");
  if (compare_semver(*oldest, *version) > 0)
    throw Error(named + " " + desc.version + " declares that it runs plans from version " + min +
                " on, which is newer than itself");
  return min;
}

}  // namespace

std::unique_ptr<PluginLibrary> PluginLibrary::open(const std::string& path) {
  std::unique_ptr<PluginLibrary> lib(new PluginLibrary());
  lib->path_ = path;
  lib->handle_ = std::make_unique<Handle>();
  try {
    lib->handle_->library.load(path, boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local);
  } catch (const std::exception&) {
    throw Error(path + ": cannot load plugin library: " + loader_text(path));
  }
  if (!lib->handle_->library.has(KILN_PLUGIN_ENTRY_NAME))
    throw Error(path + ": not a kiln plugin: it does not export the entry symbol '" KILN_PLUGIN_ENTRY_NAME "'");
  auto entry = lib->handle_->library.get<const kiln_plugin_desc*(const kiln_host_api*)>(KILN_PLUGIN_ENTRY_NAME);
  take_plugin_error();  // start clean, so a message below is the entry's own
  const kiln_plugin_desc* desc = entry(host_api());
  if (!desc) throw Error(path + ": the plugin's entry point failed: " + take_plugin_error());
  if (desc->struct_size < offsetof(kiln_plugin_desc, kernels) + sizeof(desc->kernels))
    throw Error(path + ": plugin descriptor is too small (struct_size " + std::to_string(desc->struct_size) + ")");
  check_abi(path, *desc);
  if (!desc->name || !desc->version) throw Error(path + ": plugin descriptor lacks a name or version");
  if (desc->num_kernels < 0 || (desc->num_kernels > 0 && !desc->kernels))
    throw Error(path + ": plugin descriptor has a malformed kernel table");
  lib->name_ = desc->name;
  lib->version_ = desc->version;
  lib->description_ = desc->description ? desc->description : "";
  lib->abi_version_ = desc->abi_version;
  lib->device_api_ = device_api_of(path, *desc);
  lib->plan_compat_min_ = plan_compat_min_of(path, *desc);
  for (int i = 0; i < desc->num_kernels; ++i) {
    check_kernel(path, desc->kernels[i], i);
    lib->kernels_.push_back(desc->kernels[i]);
  }
  return lib;
}

PluginLibrary::~PluginLibrary() = default;

}  // namespace kiln
