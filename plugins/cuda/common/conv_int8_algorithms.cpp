#include "common/conv_int8_algorithms.hpp"

#include <algorithm>
#include <sstream>

#include "common/conv_algorithms.hpp"  // conv_algo_name, kMaxConvWorkspace
#include "common/handles.hpp"
#include "common/tuning.hpp"

namespace kiln::cuda {

namespace {

// The workspace cuDNN asks of `algo` for these descriptors; false when it does not size it (does not run it).
bool workspace_of(cudnnHandle_t handle, const ConvInt8Descriptors& d, cudnnConvolutionFwdAlgo_t algo, size_t* bytes) {
  return cudnnGetConvolutionForwardWorkspaceSize(handle, d.x.get(), d.w.get(), d.conv.get(), d.sums.get(), algo, bytes) ==
         CUDNN_STATUS_SUCCESS;
}

// cuDNN's heuristic order for the problem (the algorithms it reports as supported), then every other algorithm,
// so that timing sees all of them and an untimed call tries the likeliest first.
std::vector<cudnnConvolutionFwdAlgo_t> heuristic_order(cudnnHandle_t handle, const ConvInt8Descriptors& d) {
  std::vector<cudnnConvolutionFwdAlgo_t> order;
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int returned = 0;
  if (cudnnGetConvolutionForwardAlgorithm_v7(handle, d.x.get(), d.w.get(), d.conv.get(), d.sums.get(),
                                             CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf) == CUDNN_STATUS_SUCCESS)
    for (int i = 0; i < returned; ++i)
      if (perf[i].status == CUDNN_STATUS_SUCCESS) order.push_back(perf[i].algo);
  for (int a = 0; a < CUDNN_CONVOLUTION_FWD_ALGO_COUNT; ++a) {
    const auto algo = static_cast<cudnnConvolutionFwdAlgo_t>(a);
    if (std::find(order.begin(), order.end(), algo) == order.end()) order.push_back(algo);
  }
  return order;
}

bool from_cache(const std::string& key, const ConvInt8Descriptors& d, cudaStream_t stream, ConvInt8Choice* out) {
  std::istringstream in(tuning_get(key));
  int algo = -1;
  if (!(in >> algo) || algo < 0 || algo >= CUDNN_CONVOLUTION_FWD_ALGO_COUNT) return false;
  ConvInt8Choice c{static_cast<cudnnConvolutionFwdAlgo_t>(algo), 0};
  if (!workspace_of(cudnn_handle(stream), d, c.algo, &c.workspace) || c.workspace > kMaxConvWorkspace) return false;
  *out = c;
  return true;
}

// Workspace for the largest choice that can be had; choices needing more than could be allocated are dropped
// (the device may not have a gigabyte to spare for timing).
DeviceBuffer timing_workspace(std::vector<ConvInt8Choice>& choices) {
  for (;;) {
    size_t need = 0;
    for (const ConvInt8Choice& c : choices) need = std::max(need, c.workspace);
    try {
      return DeviceBuffer(need);
    } catch (const Error&) {
      (void)cudaGetLastError();  // an allocation failure is not sticky: clear it and try with less
      if (need == 0) throw;
      choices.erase(std::remove_if(choices.begin(), choices.end(), [&](const ConvInt8Choice& c) { return c.workspace >= need; }),
                    choices.end());
    }
  }
}

struct Timed {
  ConvInt8Choice choice;
  double ms;
};

std::string timing_note(const std::vector<Timed>& timed, size_t tried) {
  const Timed& best = timed.front();
  std::string note = "cuDNN int8 (INT8_EXT_CONFIG) " + best.choice.text() + ": " + format_ms(best.ms) + ", fastest of " +
                     std::to_string(timed.size()) + " timed";
  if (tried > timed.size()) note += " (" + std::to_string(tried - timed.size()) + " more declined by cuDNN)";
  note += "; workspace " + format_bytes(best.choice.workspace) + "; timed:";
  for (const Timed& t : timed) note += " " + t.choice.text() + " " + format_ms(t.ms) + ",";
  note.pop_back();
  return note;
}

}  // namespace

std::string ConvInt8Choice::text() const {
  return "algo " + std::to_string(static_cast<int>(algo)) + " (" + conv_algo_name(algo) + ")";
}

cudnnStatus_t run_conv_int8(const ConvInt8Descriptors& d, const ConvInt8Choice& c, const ConvInt8Buffers& b,
                            cudaStream_t stream) {
  const float one = 1.0f, zero = 0.0f;
  return cudnnConvolutionForward(cudnn_handle(stream), &one, d.x.get(), b.x, d.w.get(), b.w, d.conv.get(), c.algo,
                                 b.workspace, b.workspace_bytes, &zero, d.sums.get(), b.sums);
}

std::vector<ConvInt8Choice> int8_choices(const ConvInt8Descriptors& d, size_t max_workspace, cudaStream_t stream) {
  cudnnHandle_t handle = cudnn_handle(stream);
  std::vector<ConvInt8Choice> out;
  for (cudnnConvolutionFwdAlgo_t algo : heuristic_order(handle, d)) {
    ConvInt8Choice c{algo, 0};
    if (workspace_of(handle, d, algo, &c.workspace) && c.workspace <= max_workspace) out.push_back(c);
  }
  return out;
}

ConvInt8Choice tune_conv_int8(const ConvInt8Problem& p, const ConvInt8Descriptors& d, const void* w,
                              const std::string& label, std::string* note) {
  const std::string key = "kiln.cuda.conv_int8 v1|" + device_label() + "|cudnn " + std::to_string(cudnnGetVersion()) + "|" + p.text();
  TimingStream& stream = timing_stream();
  ConvInt8Choice cached;
  if (from_cache(key, d, stream.get(), &cached)) {
    *note = "cuDNN int8 " + cached.text() + " from the tuning cache; workspace " + format_bytes(cached.workspace);
    return cached;
  }
  std::vector<ConvInt8Choice> choices = int8_choices(d, kMaxConvWorkspace, stream.get());
  const size_t sized = choices.size();
  DeviceBuffer x = timing_buffer(static_cast<size_t>(p.x.span()));
  DeviceBuffer sums = timing_buffer(static_cast<size_t>(p.sums.span()) * sizeof(float));
  DeviceBuffer workspace = timing_workspace(choices);
  ConvInt8Buffers b;
  b.x = x.get(), b.w = w, b.sums = sums.as<float>(), b.workspace = workspace.get(), b.workspace_bytes = workspace.bytes();
  std::vector<Timed> timed;
  for (const ConvInt8Choice& c : choices) {
    const double ms = time_candidate(stream.get(), [&] { return run_conv_int8(d, c, b, stream.get()) == CUDNN_STATUS_SUCCESS; });
    if (ms >= 0) timed.push_back({c, ms});
  }
  if (timed.empty())
    fail_unsupported(label + ": cuDNN runs none of the " + std::to_string(sized) +
                     " algorithms it sized for the int8 convolution " + p.text());
  std::stable_sort(timed.begin(), timed.end(), [](const Timed& a, const Timed& b) { return a.ms < b.ms; });
  tuning_put(key, std::to_string(static_cast<int>(timed.front().choice.algo)));
  *note = timing_note(timed, sized);
  return timed.front().choice;
}

}  // namespace kiln::cuda
