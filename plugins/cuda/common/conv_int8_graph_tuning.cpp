#include "common/conv_int8_graph_tuning.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

#include "common/handles.hpp"
#include "common/tuning.hpp"

namespace kiln::cuda {

namespace {

size_t element_bytes(cudnnDataType_t t) { return t == CUDNN_DATA_INT8 ? 1 : t == CUDNN_DATA_HALF ? 2 : 4; }

// Everything the fastest config depends on: the convolution and the graph's shape after it.
std::string tuning_key(const ConvInt8GraphSpec& s) {
  std::ostringstream key;
  key << "kiln.cuda.conv_int8_graph v1|" << device_label() << "|cudnn " << cudnnGetVersion() << "|" << s.problem.text()
      << "|y " << static_cast<int>(s.y_type) << (s.residual ? "|z " + std::to_string(static_cast<int>(s.z_type)) : "")
      << (s.z_alpha_tensor ? " alpha tensor" : "") << (s.clamp ? "|clamp" : "");
  return key.str();
}

struct Timed {
  int config;
  double ms;
};

std::string timing_note(const std::vector<Timed>& timed, int configs) {
  std::string note = "cuDNN graph engine config " + std::to_string(timed.front().config) + " of " +
                     std::to_string(configs) + ": " + format_ms(timed.front().ms) + ", fastest of " +
                     std::to_string(timed.size()) + " timed:";
  for (const Timed& t : timed) note += " config " + std::to_string(t.config) + " " + format_ms(t.ms) + ",";
  note.pop_back();
  return note;
}

}  // namespace

int tune_conv_int8_graph(const ConvInt8GraphSpec& spec, const ConvInt8GraphBuffers& constants,
                         const ConvInt8Graph& heuristic, std::string* note) {
  const std::string key = tuning_key(spec);
  int cached = -1;
  if (std::istringstream(tuning_get(key)) >> cached && cached >= 0) {
    *note = "cuDNN graph engine config " + std::to_string(cached) + " from the tuning cache";
    return cached;
  }
  TimingStream& stream = timing_stream();
  const cudnnHandle_t handle = cudnn_handle(stream.get());
  const ConvInt8Problem& p = spec.problem;
  DeviceBuffer x = timing_buffer(static_cast<size_t>(p.x.span()));
  DeviceBuffer y = timing_buffer(static_cast<size_t>(p.sums.span()) * element_bytes(spec.y_type));
  DeviceBuffer z = timing_buffer(spec.residual ? static_cast<size_t>(p.sums.span()) * element_bytes(spec.z_type) : 0);
  ConvInt8GraphBuffers b = constants;
  b.x = x.get(), b.y = y.get(), b.z = spec.residual ? z.get() : nullptr;
  std::vector<Timed> timed;
  const int configs = heuristic.configs();
  for (int config = 0; config < configs; ++config) {
    std::string why;  // a config that does not build is not a candidate
    const std::unique_ptr<ConvInt8Graph> graph = ConvInt8Graph::build(handle, spec, &why, config);
    if (!graph) continue;
    DeviceBuffer workspace = timing_buffer(graph->workspace());
    b.workspace = graph->workspace() ? workspace.get() : nullptr;
    const double ms = time_candidate(stream.get(), [&] { return graph->run(handle, b) == CUDNN_STATUS_SUCCESS; });
    if (ms >= 0) timed.push_back({config, ms});
  }
  if (timed.empty()) {
    *note = heuristic.engine() + " (the heuristic's first; none could be timed)";
    return heuristic.config();
  }
  std::stable_sort(timed.begin(), timed.end(), [](const Timed& a, const Timed& b) { return a.ms < b.ms; });
  tuning_put(key, std::to_string(timed.front().config));
  *note = timing_note(timed, configs);
  return timed.front().config;
}

}  // namespace kiln::cuda
