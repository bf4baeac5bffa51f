// Times Engine::run on one model with seeded random inputs. Defaults to the bundled tiny CNN on the CPU
// reference pack; --model=PATH and --config=PATH pick others.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>

#include "runtime/load_engine.hpp"

namespace {

std::string g_model = KILN_SOURCE_DIR "/examples/models/tiny_cnn.onnx";
std::string g_config = KILN_SOURCE_DIR "/configs/cpu.yaml";

kiln::Tensor random_like(const kiln::Value& v, uint64_t seed) {
  std::vector<int64_t> dims = v.dims;
  for (int64_t& d : dims) d = d < 0 ? 1 : d;
  kiln::Tensor t(v.dtype, dims);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  if (v.dtype == KILN_DTYPE_FLOAT32)
    for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = dist(rng);
  else
    std::memset(t.data(), 1, t.bytes());
  return t;
}

void BM_EngineRun(benchmark::State& state) {
  const kiln::BuildConfig config = kiln::load_build_config(g_config);
  kiln::PluginRegistry registry;
  const auto engine = kiln::load_engine(g_model, config, registry);
  std::map<std::string, kiln::Tensor> inputs;
  uint64_t seed = 1;
  for (const kiln::Value* v : engine->graph().inputs()) inputs[v->name] = random_like(*v, seed++);
  for (auto _ : state) benchmark::DoNotOptimize(engine->run(inputs));
  state.SetLabel(g_model.substr(g_model.find_last_of('/') + 1));
}
BENCHMARK(BM_EngineRun)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--model=", 8) == 0) g_model = argv[i] + 8;
    if (std::strncmp(argv[i], "--config=", 9) == 0) g_config = argv[i] + 9;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
