// kiln run: build the model (or load a plan), run, summarise, time.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli.hpp"
#include "ir/element_values.hpp"
#include "random_inputs.hpp"
#include "runtime/device_api.hpp"
#include "runtime/load_engine.hpp"
#include "util/error.hpp"
#include "util/npy.hpp"

namespace kiln::cli {

namespace {

// The given inputs, and seeded random data for the others: at the profile's `opt` shape for an input the plan
// has a profile for (its declared dims may be free), else at the declared shape.
std::map<std::string, Tensor> gather_inputs(const Args& args, const EnginePlan& plan, uint64_t seed) {
  const Graph& graph = *plan.graph;
  std::map<std::string, Tensor> inputs;
  for (const std::string& spec : args.all("input")) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("--input expects NAME=FILE.npy, got '" + spec + "'");
    inputs[spec.substr(0, eq)] = read_npy(spec.substr(eq + 1));
  }
  uint64_t index = 0;
  for (const Value* v : graph.inputs()) {
    ++index;
    if (!inputs.count(v->name)) {
      Value shaped = *v;
      if (auto range = plan.profile.find(v->name); range != plan.profile.end()) shaped.dims = range->second.opt;
      inputs[v->name] = random_input(shaped, seed + index);
      std::printf("input  %-24s %s (random, seed %llu)\n", v->name.c_str(), inputs[v->name].describe().c_str(),
                  static_cast<unsigned long long>(seed + index));
    } else {
      std::printf("input  %-24s %s\n", v->name.c_str(), inputs[v->name].describe().c_str());
    }
  }
  return inputs;
}

void print_summary(const std::string& name, const Tensor& t) {
  const int64_t n = t.numel();
  std::printf("output %-24s %s", name.c_str(), t.describe().c_str());
  if (n == 0) {
    std::printf(" (empty)\n");
    return;
  }
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  int64_t argmax = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = element_at(t, i);
    if (v > hi) argmax = i;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  std::printf(" min %.6g max %.6g mean %.6g argmax %lld\n       first:", lo, hi, sum / static_cast<double>(n),
              static_cast<long long>(argmax));
  for (int64_t i = 0; i < std::min<int64_t>(n, 6); ++i) std::printf(" %.6g", element_at(t, i));
  std::printf("\n");
}

void print_selection(const Engine& engine) {
  for (const Layer& layer : engine.layers()) {
    const KernelEntry& k = *layer.selection.chosen;
    std::printf("layer  %-32s %-20s -> %s (%s)\n", layer.node->name.c_str(), layer.node->op_type.c_str(),
                k.desc->name, kernel_origin(k).c_str());
    for (const Decline& d : layer.selection.declined)
      std::printf("         declined %s: %s\n", d.kernel.c_str(), d.reason.c_str());
  }
}

EngineOptions options_from(const Args& args) {
  EngineOptions options;
  options.profile_layers = args.flag("profile-layers");
  return options;
}

// The engine for a plan file (its own plugins) or for an ONNX model built with --config.
std::unique_ptr<Engine> open_engine(const Args& args, PluginRegistry& registry) {
  const std::string& model = args.positional[0];
  // By content; a file named *.plan is read as a plan whatever it holds, so that a damaged or foreign one is
  // reported as "not a kiln plan" rather than as an ONNX model that needs --config.
  if (is_plan_file(model) || std::filesystem::path(model).extension() == ".plan") {
    if (!args.option("config").empty())  // the plan was built with its config; its plugins are fixed
      std::fprintf(stderr, "kiln run: note: --config is ignored for a plan file (it names its own plugins)\n");
    return load_plan_engine(model, registry, options_from(args));
  }
  const std::string config_path = args.option("config");
  if (config_path.empty()) throw Error("run needs --config CFG.yaml for an ONNX model (the default is configs/cpu.yaml)");
  const BuildConfig config = load_build_config(config_path);
  BuildProgress progress;
  if (args.flag("verbose")) progress = [](const std::string& line) { std::printf("build  %s\n", line.c_str()); };
  return load_engine(model, config, registry, options_from(args), nullptr, progress);
}


// --profile-layers: the layers of the last run, slowest first, with their share of the sum.
void print_layer_profile(const Engine& engine) {
  const std::vector<double> ms = engine.last_layer_ms();
  if (ms.empty()) {
    std::printf("profile: per-layer times are measured on device plans only\n");
    return;
  }
  std::vector<size_t> order(ms.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ms[a] > ms[b]; });
  double total = 0;
  for (double t : ms) total += t;
  std::printf("profile: %zu layers, %.3f ms in all (each layer waited for; the slowest 30 below)\n", ms.size(), total);
  for (size_t k = 0; k < std::min<size_t>(30, order.size()); ++k) {
    const Layer& layer = engine.layers()[order[k]];
    std::printf("  %8.3f ms %5.1f%%  %-40s %-16s %s\n", ms[order[k]], total > 0 ? 100 * ms[order[k]] / total : 0.0,
                layer.node->name.c_str(), layer.node->op_type.c_str(), layer.selection.chosen->desc->name);
  }
}

// Where the timed runs ran: "CPU", or the device's name (and whether captured graphs replay).
std::string where(const Engine& engine) {
  if (!engine.device_api()) return "CPU";
  const DeviceApi api(engine.device_api());
  return api.device_name() + (engine.graph_capturable() ? ", CUDA graph replay" : ", eager (host layers in the plan)");
}

// --device-io: the inputs uploaded once and the outputs left in device memory, so the timed runs measure the
// plan's execution as a caller that keeps its data on the device sees it. The results are fetched once at the
// end for the summary.
class DeviceIo {
 public:
  DeviceIo(const Engine& engine, const std::map<std::string, Tensor>& inputs) : engine_(engine), api_(engine.device_api()) {
    for (const auto& [name, tensor] : inputs) {
      buffers_.push_back(api_.malloc(tensor.bytes(), "input '" + name + "'"));
      api_.copy(buffers_.back().get(), tensor.data(), tensor.bytes(), KILN_COPY_HOST_TO_DEVICE, nullptr);
      inputs_[name] = {buffers_.back().get(), tensor.dims()};
    }
    api_.synchronize(nullptr);
    reference_ = engine.run(inputs);  // shapes and dtypes of the outputs (and a first, eager run)
    for (const auto& [name, tensor] : reference_) {
      buffers_.push_back(api_.malloc(tensor.bytes(), "output '" + name + "'"));
      outputs_[name] = {buffers_.back().get(), tensor.dims()};
    }
  }

  // One run on device memory; the outputs are copied back only so the caller can summarise them.
  std::map<std::string, Tensor> run() {
    engine_.run_device(inputs_, outputs_);
    return reference_;
  }

  ~DeviceIo() {
    // Fetch the last run's results for the summary (a failure here only loses the summary's freshness).
    for (auto& [name, tensor] : reference_)
      try {
        api_.copy(tensor.data(), outputs_.at(name).data, tensor.bytes(), KILN_COPY_DEVICE_TO_HOST, nullptr);
      } catch (const std::exception&) {
      }
  }

 private:
  const Engine& engine_;
  DeviceApi api_;
  std::vector<DeviceApi::Memory> buffers_;
  std::map<std::string, Engine::DeviceBuffer> inputs_, outputs_;
  std::map<std::string, Tensor> reference_;
};

}  // namespace

int run_command(const Args& args) {
  if (args.positional.size() != 1) throw Error("run expects one model or plan file (see kiln --help)");
  const int iterations = args.integer("iterations", 10);
  const int warmup = args.integer("warmup", 1);
  if (iterations < 1 || warmup < 0) throw Error("--iterations must be >= 1 and --warmup >= 0");

  PluginRegistry registry;
  const auto t0 = std::chrono::steady_clock::now();
  const std::unique_ptr<Engine> engine = open_engine(args, registry);
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("model  %s: %zu layers, loaded in %.1f ms (plugins: %s)\n", args.positional[0].c_str(),
              engine->layers().size(), load_ms, registry.describe_libraries().c_str());
  if (args.flag("verbose")) print_selection(*engine);

  const std::map<std::string, Tensor> inputs =
      gather_inputs(args, engine->plan(), static_cast<uint64_t>(args.integer("seed", 0)));
  const bool device_io = args.flag("device-io");
  if (device_io && !engine->device_api())
    throw Error("--device-io needs a plan that runs on a device (build with a config whose device is cuda)");
  std::unique_ptr<DeviceIo> io = device_io ? std::make_unique<DeviceIo>(*engine, inputs) : nullptr;
  auto run_once = [&]() { return io ? io->run() : engine->run(inputs); };
  for (int i = 0; i < warmup; ++i) run_once();
  std::vector<double> times;
  std::map<std::string, Tensor> outputs;
  for (int i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    outputs = run_once();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  for (const Value* v : engine->graph().outputs()) print_summary(v->name, outputs.at(v->name));
  if (args.flag("profile-layers")) print_layer_profile(*engine);
  std::sort(times.begin(), times.end());
  std::printf("latency median %.3f ms  min %.3f ms  max %.3f ms  (%d iterations, %d warm-up, %s%s)\n",
              times[times.size() / 2], times.front(), times.back(), iterations, warmup, where(*engine).c_str(),
              device_io ? ", device I/O" : engine->device_api() ? ", host I/O incl. copies" : "");

  const std::string dir = args.option("output-dir");
  if (!dir.empty()) {
    std::filesystem::create_directories(dir);
    for (const auto& [name, tensor] : outputs) {
      std::string file = name;
      std::replace(file.begin(), file.end(), '/', '_');
      write_npy((std::filesystem::path(dir) / (file + ".npy")).string(), tensor);
    }
    std::printf("wrote %zu outputs to %s\n", outputs.size(), dir.c_str());
  }
  return 0;
}

}  // namespace kiln::cli
