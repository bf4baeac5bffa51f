// The fast CPU pack against the reference pack, layer by layer and side by side in one run: each benchmark is a
// one-node graph of a real network's layer shape (a Conv, the classifier's Gemm, a MaxPool), built and run once through
// configs/cpu.yaml (reference kernels only) and once through configs/cpu-fast.yaml (kiln.cpu_fast first), with
// seeded random inputs and weights. benchmarks/cpu_fast_compare.sh runs it with whole models and prints ratios.
//   build/bin/kiln_bench_cpu_fast --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "builder/builder.hpp"
#include "config/build_config.hpp"
#include "runtime/engine.hpp"

namespace {

struct Layer {
  const char* name;
  std::string op;  // "Conv", "Gemm" (x times w transposed, plus b) or "MaxPool" (3x3, ceil_mode; no w)
  std::vector<int64_t> x, w;
  int64_t group = 1, stride = 1, pad = 0;
};

const Layer kLayers[] = {
    {"resnet50_conv1_7x7s2", "Conv", {1, 3, 224, 224}, {64, 3, 7, 7}, 1, 2, 3},
    {"resnet50_3x3_64_56", "Conv", {1, 64, 56, 56}, {64, 64, 3, 3}, 1, 1, 1},
    {"resnet50_1x1_64to256_56", "Conv", {1, 64, 56, 56}, {256, 64, 1, 1}},
    {"resnet50_3x3_256_14", "Conv", {1, 256, 14, 14}, {256, 256, 3, 3}, 1, 1, 1},
    {"mobilenetv2_dw3x3s2_96_112", "Conv", {1, 96, 112, 112}, {96, 1, 3, 3}, 96, 2, 1},
    {"mobilenetv2_1x1_144to32_28", "Conv", {1, 144, 28, 28}, {32, 144, 1, 1}},
    {"resnet50_fc_2048to1000", "Gemm", {1, 2048}, {1000, 2048}},
    {"googlenet_maxpool3x3s2_192_56", "MaxPool", {1, 192, 56, 56}, {}, 1, 2, 0},
};

kiln::Tensor random_tensor(const std::vector<int64_t>& dims, std::mt19937_64& rng, float bound) {
  kiln::Tensor t(KILN_DTYPE_FLOAT32, dims);
  std::uniform_real_distribution<float> dist(-bound, bound);
  for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = dist(rng);
  return t;
}

kiln::Value* float_value(kiln::Graph& g, const std::string& name, const std::vector<int64_t>& dims) {
  kiln::Value* v = g.add_value(name);
  v->dtype = KILN_DTYPE_FLOAT32;
  v->has_shape = true;
  v->dims = dims;
  v->symbols.assign(dims.size(), "");
  return v;
}

// The layer as a graph: x (an input) -> op(x, w, b) -> y (the output); its input's random contents in `feeds`.
std::unique_ptr<kiln::Graph> layer_graph(const Layer& layer, std::map<std::string, kiln::Tensor>& feeds) {
  auto g = std::make_unique<kiln::Graph>();
  g->opsets[""] = 13;
  std::mt19937_64 rng(7);
  kiln::Value* x = float_value(*g, "x", layer.x);
  x->is_graph_input = true;
  g->inputs().push_back(x);
  feeds["x"] = random_tensor(layer.x, rng, 1.f);
  auto node = std::make_unique<kiln::Node>();
  node->name = layer.name;
  node->op_type = layer.op;
  node->opset = 13;
  node->inputs = {x};
  if (!layer.w.empty()) {
    kiln::Value* w = float_value(*g, "w", layer.w);
    w->constant = random_tensor(layer.w, rng, 0.1f);
    kiln::Value* b = float_value(*g, "b", {layer.w[0]});
    b->constant = random_tensor({layer.w[0]}, rng, 0.1f);
    node->inputs = {x, w, b};
  }
  kiln::Value* y = g->add_value("y");
  y->is_graph_output = true;
  node->outputs = {y};
  if (layer.op == "Conv") {
    node->attributes = {{"group", kiln::int_attr(layer.group)},
                        {"strides", kiln::ints_attr({layer.stride, layer.stride})},
                        {"pads", kiln::ints_attr({layer.pad, layer.pad, layer.pad, layer.pad})}};
  } else if (layer.op == "MaxPool") {
    node->attributes = {{"kernel_shape", kiln::ints_attr({3, 3})},
                        {"strides", kiln::ints_attr({layer.stride, layer.stride})},
                        {"ceil_mode", kiln::int_attr(1)}};
  } else {
    node->attributes = {{"transB", kiln::int_attr(1)}};
  }
  g->add_node(std::move(node));
  g->outputs().push_back(y);
  return g;
}

void BM_Layer(benchmark::State& state, const Layer& layer, const std::string& config_name) {
  const kiln::BuildConfig config = kiln::load_build_config(KILN_SOURCE_DIR "/configs/" + config_name);
  kiln::PluginRegistry registry;
  registry.load_all(config);
  std::map<std::string, kiln::Tensor> feeds;
  kiln::Engine engine(kiln::build_engine_plan(layer_graph(layer, feeds), registry, config));
  for (auto _ : state) benchmark::DoNotOptimize(engine.run(feeds));
}

}  // namespace

int main(int argc, char** argv) {
  for (const Layer& layer : kLayers)
    for (const char* pack : {"reference", "fast"})
      benchmark::RegisterBenchmark((std::string(layer.name) + "/" + pack).c_str(), BM_Layer, layer,
                                   std::string(pack) == "fast" ? "cpu-fast.yaml" : "cpu.yaml")
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
