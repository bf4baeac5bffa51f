// kiln plugins: every loaded library, its version, and every kernel it offers.
#include <cstdio>
#include <filesystem>

#include "cli.hpp"
#include "ir/dtype.hpp"
#include "plugin/plugin_registry.hpp"
#include "select/kernel_selector.hpp"
#include "util/error.hpp"

namespace kiln::cli {

namespace {

std::string dtypes_of(const kiln_io_spec* specs, int32_t count) {
  std::string s;
  for (int32_t i = 0; i < count; ++i) {
    std::string one;
    for (int d = 0; d < 64; ++d)
      if (specs[i].dtypes & (uint64_t{1} << d)) one += (one.empty() ? "" : "|") + dtype_name(d);
    if (specs[i].flags & KILN_IO_OPTIONAL) one += "?";
    if (specs[i].flags & KILN_IO_VARIADIC) one += "...";
    s += (s.empty() ? "" : ", ") + one;
  }
  return "(" + s + ")";
}

// "13-17", or "13+" when the kernel claims every later opset.
std::string opset_range(int32_t min, int32_t max) {
  return std::to_string(min) + (max >= 1000 ? "+" : "-" + std::to_string(max));
}

void load_search_path(PluginRegistry& registry) {
  for (const std::string& dir : plugin_search_dirs()) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
      if (entry.path().extension() == ".so") registry.load(entry.path().string());
  }
}

}  // namespace

int plugins_command(const Args& args) {
  PluginRegistry registry;
  const std::string config = args.option("config");
  if (!config.empty()) registry.load_all(load_build_config(config));
  for (const std::string& lib : args.all("plugin")) registry.load(lib);
  if (config.empty() && args.all("plugin").empty()) load_search_path(registry);
  if (registry.libraries().empty()) {
    std::printf("no plugin libraries found (search path:");
    for (const std::string& dir : plugin_search_dirs()) std::printf(" %s", dir.c_str());
    std::printf(")\n");
    return 1;
  }
  for (const auto& lib : registry.libraries()) {
    // Which plans the library runs: those built with its own version, or with any from its declared oldest on.
    const std::string plans = lib->plan_compat_min().empty() || lib->plan_compat_min() == lib->version()
                                  ? "plans of " + lib->version()
                                  : "plans of " + lib->plan_compat_min() + " to " + lib->version();
    std::printf("%s %s  (ABI %s, %zu kernels, runs %s)\n  %s\n  %s\n", lib->name().c_str(), lib->version().c_str(),
                format_abi_version(lib->abi_version()).c_str(), lib->kernels().size(), plans.c_str(),
                lib->path().c_str(), lib->description().c_str());
    for (const kiln_kernel_desc* k : lib->kernels()) {
      std::printf("    %-36s %-28s opset %s %s in %s out %s%s\n", k->name, op_label(k->domain, k->op_type).c_str(),
                  opset_range(k->opset_min, k->opset_max).c_str(), k->device == KILN_DEVICE_CPU ? "cpu" : "cuda",
                  dtypes_of(k->inputs, k->num_input_specs).c_str(), dtypes_of(k->outputs, k->num_output_specs).c_str(),
                  k->pattern_length > 0 ? " [fused pattern]" : "");
    }
  }
  return 0;
}

}  // namespace kiln::cli
