// kiln: build and run ONNX models through operator plugins. Subcommands: build, run, inspect, plugins,
// plugin check, version.
#include <cstdio>
#include <exception>
#include <string>

#include "cli.hpp"
#include "kiln/plugin.h"
#include "util/error.hpp"
#include "util/version.hpp"

namespace {

const char* kUsage =
    "usage: kiln <command> [options]\n"
    "\n"
    "commands:\n"
    "  build MODEL.onnx --config CFG.yaml -o MODEL.plan\n"
    "      Imports the model, optimizes the graph (the config's passes), selects and prepares a kernel per\n"
    "      layer, schedules streams, plans memory and writes a plan file, printing a line per stage and a\n"
    "      summary (layers before/after, fusions, arena vs naive bytes, build time).\n"
    "  run MODEL.onnx --config CFG.yaml | MODEL.plan  [--input NAME=FILE.npy]... [--output-dir DIR]\n"
    "                 [--iterations N] [--warmup N] [--seed N] [--device-io] [--profile-layers] [--verbose]\n"
    "      Builds the model (or loads the plan and only the plugins it names), runs it and prints each\n"
    "      output's summary and the latency (median/min/max over --iterations runs). Inputs not given are\n"
    "      drawn at random from --seed. --verbose shows the build stages, the kernel chosen for each node and\n"
    "      why the others were declined. --device-io (device plans): inputs uploaded once and outputs left in\n"
    "      device memory, so the latency is the plan's execution alone. --profile-layers (device plans): time\n"
    "      each layer (waiting for each: no CUDA graph) and print the slowest.\n"
    "  inspect MODEL.plan [--format text|json|dot]\n"
    "      Shows every layer (kernel, plugin and version, precision, layout, shapes, stream) and every\n"
    "      tensor's arena offset and size; json for tools, dot for Graphviz.\n"
    "  plugins [--config CFG.yaml | --plugin LIB.so ...]\n"
    "      Lists every loaded plugin library (path, name, version, ABI) and every kernel it offers. Without\n"
    "      options, loads every library in the plugin search path.\n"
    "  version\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  try {
    if (command == "run")
      return kiln::cli::run_command(kiln::cli::parse(argc, argv, 2,
                                                     {"config", "input", "output-dir", "iterations", "warmup", "seed"},
                                                     {"verbose", "device-io", "profile-layers"}));
    if (command == "build")
      return kiln::cli::build_command(kiln::cli::parse(argc, argv, 2, {"config", "output"}, {}));
    if (command == "inspect") return kiln::cli::inspect_command(kiln::cli::parse(argc, argv, 2, {"format"}, {}));
    if (command == "plugins")
      return kiln::cli::plugins_command(kiln::cli::parse(argc, argv, 2, {"config", "plugin"}, {}));
    if (command == "plugin") return kiln::cli::plugin_command(argc, argv);
    if (command == "version" || command == "--version") {
      std::printf("kiln %s (plugin ABI %d.%d)\n", kiln::version(), KILN_ABI_VERSION_MAJOR, KILN_ABI_VERSION_MINOR);
      return 0;
    }
    std::fprintf(stderr, "kiln: unknown command '%s'\n\n%s", command.c_str(), kUsage);
    return 2;
  } catch (const kiln::Error& e) {
    std::fprintf(stderr, "kiln %s: error: %s\n", command.c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kiln %s: internal error: %s\n", command.c_str(), e.what());
    return 3;
  }
}
