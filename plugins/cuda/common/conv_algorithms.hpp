// How one convolution runs on cuDNN, and the choice among the ways it can.
//
// A way is a mode and an algorithm: "fused" is one cudnnConvolutionBiasActivationForward (conv, bias, residual
// and Relu in one call; with no activation cuDNN allows only IMPLICIT_PRECOMP_GEMM); "unfused" is
// cudnnConvolutionForward with any algorithm, then our epilogue kernel for whatever is left (bias, residual,
// Relu). When the shapes are known in create, every way cuDNN accepts is timed on them and the fastest kept
// (the tuning cache remembers it); otherwise a fixed order is tried per call.
#ifndef KILN_CUDA_CONV_ALGORITHMS_HPP
#define KILN_CUDA_CONV_ALGORITHMS_HPP

#include <cudnn.h>

#include <string>
#include <vector>

#include "common/conv_descriptors.hpp"

namespace kiln::cuda {

enum class ConvMode { Fused, Unfused };

struct ConvChoice {
  ConvMode mode = ConvMode::Fused;
  cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
  size_t workspace = 0;  // bytes the algorithm needs for the shapes it was chosen for

  // "fused algo 1 (IMPLICIT_PRECOMP_GEMM)"
  std::string text() const;
};

// The device memory of one call. Bias comes twice: in the data dtype for cuDNN's fused call, in float32 for the
// epilogue.
struct ConvBuffers {
  const void* x = nullptr;
  const void* w = nullptr;
  const void* bias = nullptr;
  const float* bias_f32 = nullptr;
  const void* z = nullptr;  // the residual, when the problem has one
  void* y = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
};

// Enqueues the convolution on `stream` the way `choice` says. Returns cuDNN's status; nothing is enqueued unless
// it is CUDNN_STATUS_SUCCESS.
cudnnStatus_t run_conv(const ConvProblem& problem, const ConvDescriptors& d, const ConvChoice& choice,
                       const ConvBuffers& b, cudaStream_t stream);

// The ways to try, in order, when nothing was timed: fused IMPLICIT_PRECOMP_GEMM first, then unfused ones;
// only those cuDNN sizes a workspace of at most `max_workspace` for.
std::vector<ConvChoice> untimed_choices(const ConvDescriptors& d, size_t max_workspace);

// The fastest way to run `problem`: from the tuning cache, or timed on scratch buffers and the layer's own
// weights (`weights`: w, bias, bias_f32). `note` gets a line saying what was timed and what won.
ConvChoice tune_conv(const ConvProblem& problem, const ConvDescriptors& d, const ConvBuffers& weights,
                     const std::string& label, std::string* note);

// "IMPLICIT_PRECOMP_GEMM": cuDNN's name of a forward algorithm, for notes.
const char* conv_algo_name(cudnnConvolutionFwdAlgo_t algo);

// The largest workspace a timed algorithm may take.
constexpr size_t kMaxConvWorkspace = size_t{1} << 30;

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_ALGORITHMS_HPP
