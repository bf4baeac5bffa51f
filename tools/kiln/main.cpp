// kiln: run ONNX models through operator plugins. Subcommands: run, plugins.
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
    "  run MODEL.onnx --config CFG.yaml [--input NAME=FILE.npy]... [--output-dir DIR]\n"
    "                 [--iterations N] [--warmup N] [--seed N] [--verbose]\n"
    "      Imports the model, selects a kernel for every node from the config's plugins, runs it and prints\n"
    "      each output's summary and the latency (median/min/max over --iterations runs). Inputs not given\n"
    "      are drawn at random from --seed. --verbose shows the kernel chosen for each node and why the\n"
    "      others were declined.\n"
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
                                                     {"verbose"}));
    if (command == "plugins")
      return kiln::cli::plugins_command(kiln::cli::parse(argc, argv, 2, {"config", "plugin"}, {}));
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
