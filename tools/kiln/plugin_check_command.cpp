// kiln plugin check LIB.so: every kernel of a plugin against the reference pack on drawn cases (check/).
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "check/kernel_checker.hpp"
#include "check/report.hpp"
#include "cli.hpp"
#include "config/build_config.hpp"
#include "plugin/host_api.hpp"
#include "plugin/plugin_registry.hpp"
#include "util/error.hpp"

namespace kiln::cli {

namespace {

const char* kCheckUsage =
    "usage: kiln plugin check LIB.so [--against LIB_OR_NAME] [--cases N] [--seed S] [--kernel GLOB] [--verbose]\n";

// A usage or load problem: exit status 2.
struct UsageError : Error {
  using Error::Error;
};

// --against as a config's `plugins:` entry reads it: a path when it has a '/' or ends in .so, else a library
// name looked up in the plugin search path.
std::string resolve_against(const std::string& spec) {
  PluginEntry entry;
  entry.spec = spec;
  entry.is_path =
      spec.find('/') != std::string::npos || (spec.size() > 3 && spec.compare(spec.size() - 3, 3, ".so") == 0);
  entry.path = spec;
  return resolve_plugin(entry);
}

const PluginLibrary& load_library(PluginRegistry& registry, const std::string& path) {
  if (!std::filesystem::exists(path)) throw UsageError("no such file: " + path);
  try {
    return registry.load(path);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

uint64_t seed_of(const Args& args) {
  const std::string text = args.option("seed", "1");
  try {
    size_t used = 0;
    const uint64_t seed = std::stoull(text, &used);
    if (used == text.size()) return seed;
  } catch (const std::exception&) {
  }
  throw UsageError("--seed expects a whole number, got '" + text + "'");
}

int check(const Args& args) {
  if (args.positional.size() != 1)
    throw UsageError("expected one plugin library, got " + std::to_string(args.positional.size()));
  check::CheckOptions options;
  try {
    options.cases = args.integer("cases", options.cases);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  if (options.cases < 1) throw UsageError("--cases must be at least 1");
  options.seed = seed_of(args);
  if (args.flag("verbose")) options.verbose = [](const std::string& line) { std::printf("%s\n", line.c_str()); };
  const std::string glob = args.option("kernel", "*");

  PluginRegistry checked, reference;
  const PluginLibrary& library = load_library(checked, args.positional[0]);
  std::string against;
  try {
    against = resolve_against(args.option("against", "kiln_cpu_reference"));
  } catch (const Error& e) {
    throw UsageError(std::string("--against: ") + e.what());
  }
  load_library(reference, against);
  std::printf("checking %s %s (%s) against %s\n", library.name().c_str(), library.version().c_str(),
              library.path().c_str(), reference.describe_libraries().c_str());

  const check::KernelChecker checker(reference, options);
  std::vector<check::KernelReport> reports;
  for (const KernelEntry& kernel : checked.kernels()) {
    if (!kernel_name_matches(glob, kernel.desc->name)) continue;
    reports.push_back(checker.check(kernel));
    std::printf("%s\n", check::report_line(reports.back()).c_str());
    std::fflush(stdout);
  }
  if (reports.empty()) throw UsageError("no kernel of " + library.path() + " matches --kernel '" + glob + "'");
  std::printf("%s\n", check::summary_line(reports).c_str());
  return check::exit_status(reports);
}

}  // namespace

int plugin_command(int argc, char** argv) {
  try {
    if (argc < 3 || std::string(argv[2]) != "check")
      throw UsageError(argc < 3 ? "missing subcommand" : "unknown subcommand '" + std::string(argv[2]) + "'");
    Args args;
    try {
      args = parse(argc, argv, 3, {"against", "cases", "seed", "kernel"}, {"verbose"});
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
    return check(args);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "kiln plugin check: error: %s\n%s", e.what(), kCheckUsage);
    return 2;
  }
}

}  // namespace kiln::cli
