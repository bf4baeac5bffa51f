#include "common/conv_algorithms.hpp"

#include <algorithm>
#include <sstream>

#include "common/conv_epilogue.hpp"
#include "common/handles.hpp"
#include "common/tuning.hpp"

namespace kiln::cuda {

const char* conv_algo_name(cudnnConvolutionFwdAlgo_t algo) {
  switch (algo) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
    default: return "unknown";
  }
}

namespace {

// The algorithms a dtype may use. Float32 leaves out the FFT and non-fused Winograd transforms, whose rounding
// can exceed the 1e-4 that float32 results keep against the reference; float16 results round far more anyway.
std::vector<cudnnConvolutionFwdAlgo_t> allowed_algos(kiln_dtype dtype) {
  std::vector<cudnnConvolutionFwdAlgo_t> algos;
  for (int a = 0; a < CUDNN_CONVOLUTION_FWD_ALGO_COUNT; ++a) {
    const auto algo = static_cast<cudnnConvolutionFwdAlgo_t>(a);
    const bool transform = algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT || algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING ||
                           algo == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
    if (dtype == KILN_DTYPE_FLOAT16 || !transform) algos.push_back(algo);
  }
  return algos;
}

// Whether cuDNN allows `mode` with `algo` for the problem: its fused call without an activation only runs
// IMPLICIT_PRECOMP_GEMM.
bool allowed(const ConvProblem& p, ConvMode mode, cudnnConvolutionFwdAlgo_t algo) {
  return mode == ConvMode::Unfused || p.relu || algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
}

// `choices` with their workspace sized, leaving out those cuDNN does not size or that need more than `limit`.
std::vector<ConvChoice> sized(std::vector<ConvChoice> choices, const ConvDescriptors& d, size_t limit, cudaStream_t stream) {
  cudnnHandle_t handle = cudnn_handle(stream);
  std::vector<ConvChoice> out;
  for (ConvChoice& c : choices) {
    size_t bytes = 0;
    if (cudnnGetConvolutionForwardWorkspaceSize(handle, d.x.get(), d.w.get(), d.conv.get(), d.y.get(), c.algo, &bytes) !=
            CUDNN_STATUS_SUCCESS ||
        bytes > limit)
      continue;
    c.workspace = bytes;
    out.push_back(c);
  }
  return out;
}

std::vector<ConvChoice> candidates(const ConvProblem& p, ConvMode mode) {
  std::vector<ConvChoice> out;
  for (cudnnConvolutionFwdAlgo_t algo : allowed_algos(p.dtype))
    if (allowed(p, mode, algo)) out.push_back(ConvChoice{mode, algo, 0});
  return out;
}

std::string cache_value(const ConvChoice& c) {
  return std::string(c.mode == ConvMode::Fused ? "fused " : "unfused ") + std::to_string(static_cast<int>(c.algo));
}

// The cached choice for `key`, when there is one that still sizes for these descriptors.
bool from_cache(const std::string& key, const ConvProblem& p, const ConvDescriptors& d, cudaStream_t stream, ConvChoice* out) {
  std::istringstream in(tuning_get(key));
  std::string mode;
  int algo = -1;
  if (!(in >> mode >> algo) || (mode != "fused" && mode != "unfused") || algo < 0 || algo >= CUDNN_CONVOLUTION_FWD_ALGO_COUNT)
    return false;
  const ConvChoice c{mode == "fused" ? ConvMode::Fused : ConvMode::Unfused, static_cast<cudnnConvolutionFwdAlgo_t>(algo), 0};
  if (!allowed(p, c.mode, c.algo)) return false;
  const std::vector<ConvChoice> ok = sized({c}, d, kMaxConvWorkspace, stream);
  if (ok.empty()) return false;
  *out = ok.front();
  return true;
}

// Workspace for the largest candidate that can be had; candidates needing more than what was allocated are
// dropped (the device may not have a gigabyte to spare for timing).
DeviceBuffer timing_workspace(std::vector<ConvChoice>& choices) {
  for (;;) {
    size_t need = 0;
    for (const ConvChoice& c : choices) need = std::max(need, c.workspace);
    try {
      return DeviceBuffer(need);
    } catch (const Error&) {
      (void)cudaGetLastError();  // an allocation failure is not sticky: clear it and try with less
      if (need == 0) throw;
      choices.erase(std::remove_if(choices.begin(), choices.end(), [&](const ConvChoice& c) { return c.workspace >= need; }),
                    choices.end());
    }
  }
}

struct Timed {
  ConvChoice choice;
  double ms;
};

// Times each choice on `b` (with b.workspace large enough for all); those cuDNN declines are left out.
std::vector<Timed> time_choices(const ConvProblem& p, const ConvDescriptors& d, const std::vector<ConvChoice>& choices,
                                const ConvBuffers& b, cudaStream_t stream) {
  std::vector<Timed> timed;
  for (const ConvChoice& c : choices) {
    const double ms = time_candidate(stream, [&] { return run_conv(p, d, c, b, stream) == CUDNN_STATUS_SUCCESS; });
    if (ms >= 0) timed.push_back({c, ms});
  }
  return timed;
}

std::string timing_note(const ConvProblem& p, const std::vector<Timed>& timed, size_t tried) {
  const Timed& best = timed.front();
  std::string note = "cuDNN " + best.choice.text() + ": " + format_ms(best.ms) + ", fastest of " +
                     std::to_string(timed.size()) + " timed";
  if (tried > timed.size()) note += " (" + std::to_string(tried - timed.size()) + " more declined by cuDNN)";
  note += "; workspace " + format_bytes(best.choice.workspace) + "; ";
  note += p.dtype == KILN_DTYPE_FLOAT16 ? "float16, tensor cores" : "float32, FMA (no TF32)";
  note += "; timed:";
  for (const Timed& t : timed) note += " " + t.choice.text() + " " + format_ms(t.ms) + ",";
  note.pop_back();
  return note;
}

}  // namespace

std::string ConvChoice::text() const {
  return std::string(mode == ConvMode::Fused ? "fused" : "unfused") + " algo " + std::to_string(static_cast<int>(algo)) +
         " (" + conv_algo_name(algo) + ")";
}

cudnnStatus_t run_conv(const ConvProblem& p, const ConvDescriptors& d, const ConvChoice& c, const ConvBuffers& b,
                       cudaStream_t stream) {
  cudnnHandle_t handle = cudnn_handle(stream);
  const float one = 1.0f, zero = 0.0f;
  if (c.mode == ConvMode::Fused) {
    // Without a residual, z is Y itself scaled by 0 (cuDNN's way to leave it out).
    const float alpha2 = p.z ? 1.0f : 0.0f;
    return cudnnConvolutionBiasActivationForward(handle, &one, d.x.get(), b.x, d.w.get(), b.w, d.conv.get(), c.algo,
                                                 b.workspace, b.workspace_bytes, &alpha2, d.z.get(), p.z ? b.z : b.y,
                                                 d.bias.get(), b.bias, d.activation.get(), d.y.get(), b.y);
  }
  const cudnnStatus_t status = cudnnConvolutionForward(handle, &one, d.x.get(), b.x, d.w.get(), b.w, d.conv.get(), c.algo,
                                                       b.workspace, b.workspace_bytes, &zero, d.y.get(), b.y);
  if (status != CUDNN_STATUS_SUCCESS) return status;
  ConvEpilogue epilogue;
  epilogue.dtype = p.dtype;
  epilogue.y = b.y;
  epilogue.y_dims = p.y;
  epilogue.bias = p.has_bias ? b.bias_f32 : nullptr;
  epilogue.residual = p.z ? b.z : nullptr;
  epilogue.residual_dims = p.z ? *p.z : p.y;
  epilogue.relu = p.relu;
  launch_conv_epilogue(epilogue, stream);
  return CUDNN_STATUS_SUCCESS;
}

std::vector<ConvChoice> untimed_choices(const ConvDescriptors& d, size_t max_workspace) {
  const std::vector<ConvChoice> order = {
      {ConvMode::Fused, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, 0},
      {ConvMode::Unfused, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, 0},
      {ConvMode::Unfused, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, 0},
  };
  return sized(order, d, max_workspace, nullptr);
}

ConvChoice tune_conv(const ConvProblem& p, const ConvDescriptors& d, const ConvBuffers& weights, const std::string& label,
                     std::string* note) {
  const std::string key = "kiln.cuda.conv v1|" + device_label() + "|cudnn " + std::to_string(cudnnGetVersion()) + "|" + p.text();
  TimingStream& stream = timing_stream();
  ConvChoice cached;
  if (from_cache(key, p, d, stream.get(), &cached)) {
    *note = "cuDNN " + cached.text() + " from the tuning cache; workspace " + format_bytes(cached.workspace);
    return cached;
  }
  std::vector<ConvChoice> choices = sized(candidates(p, ConvMode::Fused), d, kMaxConvWorkspace, stream.get());
  if (!p.relu) {  // without Relu the fused call has one algorithm: the plain ones with our epilogue compete
    const std::vector<ConvChoice> plain = sized(candidates(p, ConvMode::Unfused), d, kMaxConvWorkspace, stream.get());
    choices.insert(choices.end(), plain.begin(), plain.end());
  }
  const size_t elem = dtype_size(p.dtype);
  DeviceBuffer x = timing_buffer(static_cast<size_t>(p.x.span()) * elem);
  DeviceBuffer y = timing_buffer(static_cast<size_t>(p.y.span()) * elem);
  DeviceBuffer z = timing_buffer(p.z ? static_cast<size_t>(p.z->span()) * elem : 0);
  DeviceBuffer workspace = timing_workspace(choices);
  ConvBuffers b = weights;
  b.x = x.get(), b.y = y.get(), b.z = z.get(), b.workspace = workspace.get(), b.workspace_bytes = workspace.bytes();
  size_t tried = choices.size();
  std::vector<Timed> timed = time_choices(p, d, choices, b, stream.get());
  if (timed.empty() && p.relu) {  // no fused algorithm runs: fall back to the plain ones with our epilogue
    std::vector<ConvChoice> plain = sized(candidates(p, ConvMode::Unfused), d, workspace.bytes(), stream.get());
    tried += plain.size();
    timed = time_choices(p, d, plain, b, stream.get());
  }
  if (timed.empty())
    fail_unsupported(label + ": cuDNN runs none of the " + std::to_string(tried) + " algorithms tried for " + p.text());
  std::stable_sort(timed.begin(), timed.end(), [](const Timed& a, const Timed& b) { return a.ms < b.ms; });
  tuning_put(key, cache_value(timed.front().choice));
  *note = timing_note(p, timed, tried);
  return timed.front().choice;
}

}  // namespace kiln::cuda
