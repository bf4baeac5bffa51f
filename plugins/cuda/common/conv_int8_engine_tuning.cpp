#include "common/conv_int8_engine_tuning.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <vector>

#include "common/handles.hpp"
#include "common/tuning.hpp"

namespace kiln::cuda {

namespace {

size_t element_bytes(cudnnDataType_t t) { return t == CUDNN_DATA_INT8 ? 1 : t == CUDNN_DATA_HALF ? 2 : 4; }

// Which side's candidates KILN_CUDA_CONV_INT8 keeps: "" (both), "cudnn" or "kiln".
std::string engines_asked() {
  const char* v = std::getenv("KILN_CUDA_CONV_INT8");
  const std::string s = v ? v : "";
  return s == "cudnn" || s == "kiln" ? s : "";
}

// Everything the fastest engine depends on: the convolution, the graph's shape after it, which candidates exist.
std::string tuning_key(const ConvInt8GraphSpec& s, bool own, const std::string& asked) {
  std::ostringstream key;
  key << "kiln.cuda.conv_int8_engine v2|" << device_label() << "|cudnn " << cudnnGetVersion() << "|" << s.problem.text()
      << "|y " << static_cast<int>(s.y_type) << (s.residual ? "|z " + std::to_string(static_cast<int>(s.z_type)) : "")
      << (s.z_alpha_tensor ? " alpha tensor" : "") << (s.clamp ? "|clamp" : "") << (own ? "|own kernel" : "")
      << (asked.empty() ? "" : "|only " + asked);
  return key.str();
}

// The cache's value: "graph 4" or "kiln 1".
std::string cache_value(const ConvInt8Engine& e) {
  return e.own_tile >= 0 ? "kiln " + std::to_string(e.own_tile) : "graph " + std::to_string(e.graph_config);
}

bool parse_cache_value(const std::string& value, ConvInt8Engine* e) {
  std::istringstream in(value);
  std::string side;
  int index = -1;
  if (!(in >> side >> index) || index < 0) return false;
  if (side == "graph") e->graph_config = index;
  else if (side == "kiln" && index < conv_int8_imma_tiles()) e->own_tile = index;
  else return false;
  return true;
}

struct Timed {
  ConvInt8Engine engine;
  double ms;
  std::string what;  // the engine's text, with cuDNN's "(runtime-compiled)" where it says so
};

std::string timing_note(const std::vector<Timed>& timed) {
  std::string note = timed.front().engine.text() + ": " + format_ms(timed.front().ms) + ", fastest of " +
                     std::to_string(timed.size()) + " timed:";
  for (const Timed& t : timed) note += " " + t.what + " " + format_ms(t.ms) + ",";
  note.pop_back();
  return note;
}

// Scratch activations of the layer's shapes, filled as common/tuning.hpp says.
struct Scratch {
  DeviceBuffer x, y, z;
  Scratch(size_t x_bytes, size_t y_bytes, size_t z_bytes)
      : x(timing_buffer(x_bytes)), y(timing_buffer(y_bytes)), z(timing_buffer(z_bytes)) {}
  explicit Scratch(const ConvInt8GraphSpec& spec)
      : Scratch(static_cast<size_t>(spec.problem.x.span()),
                static_cast<size_t>(spec.problem.sums.span()) * element_bytes(spec.y_type),
                spec.residual ? static_cast<size_t>(spec.problem.sums.span()) * element_bytes(spec.z_type) : 0) {}
  // kiln's kernel alone: int8 X and Z of `s`, Y int8 or float32 (`reals`).
  Scratch(const ConvInt8ImmaShape& s, bool residual, bool reals)
      : Scratch(static_cast<size_t>(s.n * s.h * s.w * s.c), static_cast<size_t>(s.n * s.oh * s.ow * s.k) * (reals ? 4 : 1),
                residual ? static_cast<size_t>(s.n * s.oh * s.ow * s.k) : 0) {}
};

void time_graph_configs(const ConvInt8GraphSpec& spec, const ConvInt8GraphBuffers& constants, int configs,
                        const Scratch& scratch, std::vector<Timed>* timed) {
  TimingStream& stream = timing_stream();
  const cudnnHandle_t handle = cudnn_handle(stream.get());
  ConvInt8GraphBuffers b = constants;
  b.x = scratch.x.get(), b.y = scratch.y.get(), b.z = spec.residual ? scratch.z.get() : nullptr;
  for (int config = 0; config < configs; ++config) {
    std::string why;  // a config that does not build is not a candidate
    const std::unique_ptr<ConvInt8Graph> graph = ConvInt8Graph::build(handle, spec, &why, config);
    if (!graph) continue;
    DeviceBuffer workspace = timing_buffer(graph->workspace());
    b.workspace = graph->workspace() ? workspace.get() : nullptr;
    const double ms = time_candidate(stream.get(), [&] { return graph->run(handle, b) == CUDNN_STATUS_SUCCESS; });
    if (ms >= 0) timed->push_back({ConvInt8Engine{config, -1}, ms, graph->engine()});
  }
}

// `reals`: Y float32 (scratch.y sized for it).
void time_own_tiles(const ConvInt8ImmaArgs& own, bool residual, bool reals, const Scratch& scratch, std::vector<Timed>* timed) {
  TimingStream& stream = timing_stream();
  ConvInt8ImmaArgs a = own;
  a.x = scratch.x.as<const int8_t>(), a.z = residual ? scratch.z.as<const int8_t>() : nullptr;
  a.y = reals ? nullptr : scratch.y.as<int8_t>();
  a.y_real = reals ? scratch.y.as<float>() : nullptr;
  if (!conv_int8_imma_aligned(a)) return;
  for (int tile = 0; tile < conv_int8_imma_tiles(); ++tile) {
    const double ms = time_candidate(stream.get(), [&] {
      launch_conv_int8_imma(a, tile, stream.get());
      return true;
    });
    if (ms >= 0) timed->push_back({ConvInt8Engine{-1, tile}, ms, ConvInt8Engine{-1, tile}.text()});
  }
}

Timed fastest(std::vector<Timed>* timed) {
  std::stable_sort(timed->begin(), timed->end(), [](const Timed& a, const Timed& b) { return a.ms < b.ms; });
  return timed->front();
}

}  // namespace

std::string ConvInt8Engine::text() const {
  return own_tile >= 0 ? "kiln int8 implicit GEMM " + conv_int8_imma_tile_name(own_tile)
                       : "cuDNN graph engine config " + std::to_string(graph_config);
}

ConvInt8Engine tune_conv_int8_engine(const ConvInt8GraphSpec& spec, const ConvInt8GraphBuffers& constants,
                                     const ConvInt8Graph& heuristic, const ConvInt8ImmaArgs* own, std::string* note) {
  const std::string asked = engines_asked();
  const bool use_graph = asked != "kiln" || !own, use_own = own && asked != "cudnn";
  const std::string key = tuning_key(spec, use_own, asked);
  ConvInt8Engine cached;
  if (parse_cache_value(tuning_get(key), &cached)) {
    *note = cached.text() + " from the tuning cache";
    return cached;
  }
  const Scratch scratch(spec);
  std::vector<Timed> timed;
  if (use_graph) time_graph_configs(spec, constants, heuristic.configs(), scratch, &timed);
  if (use_own) time_own_tiles(*own, spec.residual, false, scratch, &timed);
  if (timed.empty()) {
    *note = heuristic.engine() + " (the heuristic's first; none could be timed)";
    return ConvInt8Engine{heuristic.config(), -1};
  }
  const ConvInt8Engine best = fastest(&timed).engine;
  tuning_put(key, cache_value(best));
  *note = timing_note(timed) + (asked.empty() ? "" : " (KILN_CUDA_CONV_INT8=" + asked + ")");
  return best;
}

int tune_conv_int8_own_tile(const ConvInt8ImmaArgs& own, bool residual, bool reals, std::string* note) {
  const std::string key = "kiln.cuda.conv_int8_own v1|" + device_label() + "|" + own.shape.text() +
                          (residual ? "|residual" : "") + (std::isfinite(own.lo) || std::isfinite(own.hi) ? "|clamp" : "") +
                          (reals ? "|float32 out" : "");
  ConvInt8Engine cached;
  if (parse_cache_value(tuning_get(key), &cached) && cached.own_tile >= 0) {
    *note = cached.text() + " from the tuning cache";
    return cached.own_tile;
  }
  const Scratch scratch(own.shape, residual, reals);
  std::vector<Timed> timed;
  time_own_tiles(own, residual, reals, scratch, &timed);
  if (timed.empty()) {
    *note = ConvInt8Engine{-1, 0}.text() + " (none could be timed)";
    return 0;
  }
  const ConvInt8Engine best = fastest(&timed).engine;
  tuning_put(key, cache_value(best));
  *note = timing_note(timed);
  return best.own_tile;
}

}  // namespace kiln::cuda
