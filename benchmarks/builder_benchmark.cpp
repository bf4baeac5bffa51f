// What the builder buys, measured in one process on one model and config:
//   (a) the optimized engine: the config's passes, written to a plan file and loaded back from it;
//   (b) the unoptimized engine: the same config with every pass switched off (same plugins, same kernels).
// It checks that their outputs agree on a seeded random input (relative L2 below --tolerance), times them
// interleaved (A, B, A, B, ...) after warm-up, and prints the medians, their ratio and the BuildReport: nodes
// before/after, fusions by kind, arena vs naive bytes, heap values, build time (median of --builds builds).
//
//   build-bench/bin/kiln_bench_builder --model=m.onnx [--config=configs/cpu.yaml] [--runs=7] [--warmup=2]
//                                      [--builds=3] [--seed=1] [--tolerance=1e-5] [--name=NAME]
//                                      [--baseline-config=other.yaml] [--in-memory]
// --baseline-config: (b) uses that config instead of every pass off; --in-memory: (a) is the engine as built,
// without the plan file round trip. Both are for finding where a difference comes from.
//
// The last line of its output is one markdown table row (columns: see kHeader), for scripts/measure-builder.sh.
// Exits 1 when the two engines disagree.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "builder/plan_export.hpp"
#include "planfile/plan_file.hpp"
#include "runtime/load_engine.hpp"
#include "util/error.hpp"

namespace {

using Clock = std::chrono::steady_clock;

const char* kHeader =
    "| model | nodes → layers | fusions (and eliminated Concats) | arena / naive (ratio) | heap values | "
    "build ms (with import) | optimized ms | unoptimized ms | unopt / opt | max rel L2 |\n"
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";

struct Options {
  std::string model;
  std::string config = KILN_SOURCE_DIR "/configs/cpu.yaml";
  std::string name;
  std::string baseline_config;  // (b)'s config; empty: the config with every pass off
  bool in_memory = false;       // (a) as built, without the plan file round trip
  int runs = 7;
  int warmup = 2;
  int builds = 3;
  uint64_t seed = 1;
  double tolerance = 1e-5;
  bool header = false;
};

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string mib(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

// The shape to feed: the profile's opt (else max) shape when the plan has one, else the declared dims with
// unknown dims as 1 (as `kiln run` does).
std::vector<int64_t> input_dims(const kiln::Engine& engine, const kiln::Value& v) {
  const auto& profile = engine.plan().profile;
  auto it = profile.find(v.name);
  if (it != profile.end()) return it->second.opt.empty() ? it->second.max : it->second.opt;
  std::vector<int64_t> dims = v.dims;
  for (int64_t& d : dims) d = d < 0 ? 1 : d;
  return dims;
}

// Seeded random data, drawn as tools/kiln/random_inputs.cpp draws it: reals in [-1, 1), integers in [0, 9].
kiln::Tensor random_input(const kiln::Value& v, std::vector<int64_t> dims, uint64_t seed) {
  kiln::Tensor t(v.dtype, std::move(dims));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(0, 9);
  for (int64_t i = 0; i < t.numel(); ++i) switch (t.dtype()) {
      case KILN_DTYPE_FLOAT32: t.as<float>()[i] = static_cast<float>(real(rng)); break;
      case KILN_DTYPE_FLOAT64: t.as<double>()[i] = real(rng); break;
      case KILN_DTYPE_INT64: t.as<int64_t>()[i] = small(rng); break;
      case KILN_DTYPE_INT32: t.as<int32_t>()[i] = small(rng); break;
      case KILN_DTYPE_INT8: t.as<int8_t>()[i] = static_cast<int8_t>(small(rng)); break;
      case KILN_DTYPE_UINT8: t.as<uint8_t>()[i] = static_cast<uint8_t>(small(rng)); break;
      case KILN_DTYPE_BOOL: t.as<bool>()[i] = small(rng) % 2 == 0; break;
      default: throw kiln::Error("input '" + v.name + "': no random data of type " + kiln::dtype_name(t.dtype()));
    }
  return t;
}

bool as_doubles(const kiln::Tensor& t, std::vector<double>& out) {
  out.resize(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) switch (t.dtype()) {
      case KILN_DTYPE_FLOAT32: out[i] = t.as<float>()[i]; break;
      case KILN_DTYPE_FLOAT64: out[i] = t.as<double>()[i]; break;
      case KILN_DTYPE_INT64: out[i] = static_cast<double>(t.as<int64_t>()[i]); break;
      case KILN_DTYPE_INT32: out[i] = t.as<int32_t>()[i]; break;
      default: return false;
    }
  return true;
}

// ||a - b|| / ||b|| over every element (0 when both are zero); exact byte comparison for other dtypes.
double relative_l2(const std::string& name, const kiln::Tensor& a, const kiln::Tensor& b) {
  if (a.dtype() != b.dtype() || a.dims() != b.dims())
    throw kiln::Error("output '" + name + "': " + a.describe() + " (optimized) vs " + b.describe() + " (unoptimized)");
  std::vector<double> x, y;
  if (!as_doubles(a, x) || !as_doubles(b, y))
    return std::memcmp(a.data(), b.data(), a.bytes()) == 0 ? 0.0 : INFINITY;
  double diff = 0, norm = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) return INFINITY;
    diff += (x[i] - y[i]) * (x[i] - y[i]);
    norm += y[i] * y[i];
  }
  return norm == 0 ? (diff == 0 ? 0.0 : INFINITY) : std::sqrt(diff / norm);
}

std::string fusions_text(const kiln::BuildReport& r) {
  std::string text;
  for (const auto& [op, count] : r.fusions) text += (text.empty() ? "" : ", ") + op + " ×" + std::to_string(count);
  if (r.concats_eliminated)
    text += (text.empty() ? "" : "; ") + std::to_string(r.concats_eliminated) + " Concat eliminated";
  return text.empty() ? "none" : text;
}

// One build of `config`; registries outlive the engines whose kernels they hold.
struct Built {
  std::unique_ptr<kiln::PluginRegistry> registry = std::make_unique<kiln::PluginRegistry>();
  std::unique_ptr<kiln::Engine> engine;
  kiln::BuildReport report;
  double wall_ms = 0;  // plugins, import and the builder
};

Built build(const Options& o, const kiln::BuildConfig& config) {
  Built b;
  const auto start = Clock::now();
  b.engine = kiln::load_engine(o.model, config, *b.registry, {}, &b.report);
  b.wall_ms = ms_since(start);
  return b;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* key) -> const char* {
      const size_t n = std::strlen(key);
      return arg.compare(0, n, key) == 0 ? argv[i] + n : nullptr;
    };
    if (const char* v = value("--model=")) o.model = v;
    else if (const char* v = value("--config=")) o.config = v;
    else if (const char* v = value("--name=")) o.name = v;
    else if (const char* v = value("--runs=")) o.runs = std::max(1, std::atoi(v));
    else if (const char* v = value("--warmup=")) o.warmup = std::max(0, std::atoi(v));
    else if (const char* v = value("--builds=")) o.builds = std::max(1, std::atoi(v));
    else if (const char* v = value("--seed=")) o.seed = std::strtoull(v, nullptr, 10);
    else if (const char* v = value("--tolerance=")) o.tolerance = std::atof(v);
    else if (const char* v = value("--baseline-config=")) o.baseline_config = v;
    else if (arg == "--in-memory") o.in_memory = true;
    else if (arg == "--header") o.header = true;
    else throw kiln::Error("unknown argument '" + arg + "' (see the comment at the top of builder_benchmark.cpp)");
  }
  if (o.header) return o;
  if (o.model.empty()) throw kiln::Error("--model=PATH is required");
  if (o.name.empty()) {
    o.name = o.model.substr(o.model.find_last_of('/') + 1);
    o.name = o.name.substr(0, o.name.rfind(".onnx"));
  }
  return o;
}

int run(const Options& o) {
  const kiln::BuildConfig optimized_config = kiln::load_build_config(o.config);
  kiln::BuildConfig plain_config =
      o.baseline_config.empty() ? optimized_config : kiln::load_build_config(o.baseline_config);
  if (o.baseline_config.empty()) {  // every pass off: the graph as imported, on the same plugins and kernels
    kiln::PassSwitches& off = plain_config.optimize;
    off.dead_code = off.identity_removal = off.constant_folding = off.fusion = false;
    off.horizontal_fusion = off.concat_elimination = false;
  }

  std::printf("model     %s\nconfig    %s (streams %d); baseline: %s; optimized engine %s\n", o.model.c_str(),
              o.config.c_str(), optimized_config.streams,
              o.baseline_config.empty() ? "every pass off" : o.baseline_config.c_str(),
              o.in_memory ? "as built (no plan file)" : "loaded from its plan file");

  // Build time: the median of o.builds builds; the last one is kept and written as the plan.
  std::vector<double> builder_ms, load_ms;
  Built optimized;
  for (int i = 0; i < o.builds; ++i) {
    optimized = build(o, optimized_config);
    builder_ms.push_back(optimized.report.build_ms);
    load_ms.push_back(optimized.wall_ms);
  }
  const kiln::BuildReport& r = optimized.report;

  // (a) goes through a plan file, as `kiln build` + `kiln run model.plan` would.
  char plan_path[] = "/tmp/kiln_bench_builder_XXXXXX";
  const int fd = mkstemp(plan_path);
  if (fd < 0) throw kiln::Error("cannot create a temporary plan file");
  close(fd);
  const auto write_start = Clock::now();
  kiln::write_plan_file(kiln::export_plan(optimized.engine->plan(), {{"model", o.model}}), plan_path);
  const double write_ms = ms_since(write_start);
  kiln::PluginRegistry plan_registry;
  const auto plan_start = Clock::now();
  std::unique_ptr<kiln::Engine> a;
  try {
    a = kiln::load_plan_engine(plan_path, plan_registry);
  } catch (...) {
    std::remove(plan_path);
    throw;
  }
  const double plan_load_ms = ms_since(plan_start);
  std::remove(plan_path);
  if (o.in_memory) std::swap(a, optimized.engine);
  optimized.engine.reset();

  // (b) with every pass off.
  Built plain = build(o, plain_config);
  const kiln::Engine& b = *plain.engine;

  std::map<std::string, kiln::Tensor> inputs;
  uint64_t seed = o.seed;
  for (const kiln::Value* v : a->graph().inputs()) inputs[v->name] = random_input(*v, input_dims(*a, *v), seed++);

  // Agreement.
  const auto out_a = a->run(inputs), out_b = b.run(inputs);
  double worst = 0;
  for (const auto& [name, tensor] : out_b) {
    auto it = out_a.find(name);
    if (it == out_a.end()) throw kiln::Error("output '" + name + "' is missing from the optimized engine");
    worst = std::max(worst, relative_l2(name, it->second, tensor));
  }
  std::printf("agree     max relative L2 over %zu output(s): %.3g (tolerance %.0e)%s\n", out_b.size(), worst,
              o.tolerance, worst < o.tolerance ? "" : "  ** DISAGREE **");

  // Interleaved timing: after warm-up, A then B, o.runs times.
  for (int i = 0; i < o.warmup; ++i) a->run(inputs), b.run(inputs);
  std::vector<double> ta, tb, ratios;
  for (int i = 0; i < o.runs; ++i) {
    auto start = Clock::now();
    a->run(inputs);
    ta.push_back(ms_since(start));
    start = Clock::now();
    b.run(inputs);
    tb.push_back(ms_since(start));
    ratios.push_back(tb.back() / ta.back());
  }
  const double ma = median(ta), mb = median(tb);

  const double arena_ratio = r.naive_bytes ? static_cast<double>(r.arena_bytes) / r.naive_bytes : 0;
  const double plain_ratio =
      plain.report.naive_bytes ? static_cast<double>(plain.report.arena_bytes) / plain.report.naive_bytes : 0;
  std::printf("nodes     %zu imported -> %zu layers optimized (%zu unoptimized)\n", r.nodes_before, r.layers_after,
              plain.report.layers_after);
  for (const std::string& line : r.pass_summaries) std::printf("pass      %s\n", line.c_str());
  std::printf("fusions   %s\n", fusions_text(r).c_str());
  std::printf("arena     optimized %s vs naive %s (%.1f%%); unoptimized %s vs naive %s (%.1f%%)\n",
              mib(r.arena_bytes).c_str(), mib(r.naive_bytes).c_str(), 100 * arena_ratio,
              mib(plain.report.arena_bytes).c_str(), mib(plain.report.naive_bytes).c_str(), 100 * plain_ratio);
  std::printf("heap      %zu data-dependent value(s) optimized, %zu unoptimized (allocated per run)\n", r.heap_values,
              plain.report.heap_values);
  std::printf("build     builder %.1f ms, plugins+import+builder %.1f ms (medians of %d); plan write %.1f ms, "
              "plan load %.1f ms; unoptimized builder %.1f ms\n",
              median(builder_ms), median(load_ms), o.builds, write_ms, plan_load_ms, plain.report.build_ms);
  std::printf("time      %d interleaved runs after %d warm-up: optimized (%s) median %.2f ms [min %.2f], "
              "unoptimized median %.2f ms [min %.2f]\n",
              o.runs, o.warmup, o.in_memory ? "in memory" : "plan", ma, *std::min_element(ta.begin(), ta.end()), mb,
              *std::min_element(tb.begin(), tb.end()));
  std::printf("ratio     unoptimized / optimized: %.2f (ratio of medians), %.2f (median of paired ratios)\n", mb / ma,
              median(ratios));

  std::printf("| %s | %zu → %zu | %s | %s / %s (%.0f%%) | %zu | %.1f (%.0f) | %.1f | %.1f | %.2f× | %.1e |\n",
              o.name.c_str(), r.nodes_before, r.layers_after, fusions_text(r).c_str(), mib(r.arena_bytes).c_str(),
              mib(r.naive_bytes).c_str(), 100 * arena_ratio, r.heap_values, median(builder_ms), median(load_ms), ma,
              mb, mb / ma, worst);
  return worst < o.tolerance ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    if (o.header) {
      std::printf("%s\n", kHeader);
      return 0;
    }
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kiln_bench_builder: error: %s\n", e.what());
    return 2;
  }
}
