// kiln build: model + config -> plan file, with a progress line per stage and a summary.
#include <chrono>
#include <cstdio>
#include <ctime>

#include "builder/plan_export.hpp"
#include "cli.hpp"
#include "planfile/plan_file.hpp"
#include "runtime/load_engine.hpp"
#include "util/byte_size.hpp"
#include "util/error.hpp"

namespace kiln::cli {

namespace {

std::string fusions_line(const BuildReport& report) {
  std::string line;
  int total = 0;
  for (const auto& [op, count] : report.fusions) {
    line += (line.empty() ? "" : ", ") + op + " x" + std::to_string(count);
    total += count;
  }
  return std::to_string(total) + (line.empty() ? "" : " (" + line + ")");
}

void print_summary(const BuildReport& r) {
  std::printf("summary   layers %zu -> %zu, fusions %s, concats eliminated %zu\n", r.nodes_before, r.layers_after,
              fusions_line(r).c_str(), r.concats_eliminated);
  const size_t arenas = r.arena_bytes + r.device_arena_bytes;
  const double ratio = r.naive_bytes ? static_cast<double>(arenas) / static_cast<double>(r.naive_bytes) : 0;
  std::printf("          arena %s vs %s if every intermediate had its own buffer (%.1f%%), %d stream(s)\n",
              format_mib(arenas).c_str(), format_mib(r.naive_bytes).c_str(), 100 * ratio, r.streams);
  if (r.device_arena_bytes || r.copies)
    std::printf("          device: arena %s, %zu FP16 layer(s), %zu value(s) channels-last, %zu host/device copies\n",
                format_mib(r.device_arena_bytes).c_str(), r.fp16_layers, r.nhwc_values, r.copies);
  if (r.int8_layers) std::printf("          int8: %zu layer(s) read quantized values\n", r.int8_layers);
  std::printf("          built in %.1f ms (config, plugins, import, passes, kernels, plan, file)\n", r.build_ms);
}

std::map<std::string, std::string> build_info(const Args& args, const BuildReport& r) {
  std::map<std::string, std::string> info;
  info["model"] = args.positional[0];
  info["config"] = args.option("config");
  info["build_ms"] = std::to_string(r.build_ms);
  info["nodes_before"] = std::to_string(r.nodes_before);
  info["fusions"] = fusions_line(r);
  for (size_t i = 0; i < r.pass_summaries.size(); ++i) info["pass." + std::to_string(i)] = r.pass_summaries[i];
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  info["built_at"] = stamp;
  return info;
}

}  // namespace

int build_command(const Args& args) {
  if (args.positional.size() != 1) throw Error("build expects one model file (see kiln --help)");
  const std::string config_path = args.option("config");
  if (config_path.empty()) throw Error("build needs --config CFG.yaml (the default is configs/cpu.yaml)");
  const std::string out = args.option("output");
  if (out.empty()) throw Error("build needs -o MODEL.plan (or --output)");

  const auto start = std::chrono::steady_clock::now();
  const BuildConfig config = load_build_config(config_path);
  PluginRegistry registry;
  BuildReport report;
  const auto progress = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  const std::unique_ptr<Engine> engine =
      load_engine(args.positional[0], config, registry, {}, &report, progress);
  const auto serialize_start = std::chrono::steady_clock::now();
  write_plan_file(export_plan(engine->plan(), build_info(args, report)), out);
  const auto end = std::chrono::steady_clock::now();
  std::printf("serialize %s written in %.1f ms\n", out.c_str(),
              std::chrono::duration<double, std::milli>(end - serialize_start).count());
  report.build_ms = std::chrono::duration<double, std::milli>(end - start).count();  // all of it: load to file
  print_summary(report);
  return 0;
}

}  // namespace kiln::cli
