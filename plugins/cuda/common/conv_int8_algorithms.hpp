// Which cuDNN algorithm runs an INT8 convolution, and the call itself. cuDNN's heuristic
// (cudnnGetConvolutionForwardAlgorithm_v7) lists the algorithms it offers for the int8 configuration; when the
// shapes are known in create each is timed on them (captured into a CUDA graph and replayed, common/tuning.hpp)
// and the fastest kept under a timing-cache key, as the float convolutions do (common/conv_algorithms.hpp);
// otherwise the heuristic's order is tried per call. Only the convolution is timed: the epilogue that follows
// is the same whichever algorithm wrote the sums.
#ifndef KILN_CUDA_CONV_INT8_ALGORITHMS_HPP
#define KILN_CUDA_CONV_INT8_ALGORITHMS_HPP

#include <cudnn.h>

#include <string>
#include <vector>

#include "common/conv_int8_descriptors.hpp"

namespace kiln::cuda {

struct ConvInt8Choice {
  cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
  size_t workspace = 0;  // cuDNN's workspace for the shapes it was chosen for

  // "algo 1 (IMPLICIT_PRECOMP_GEMM)"
  std::string text() const;
};

struct ConvInt8Buffers {
  const void* x = nullptr;  // int8, dense NHWC
  const void* w = nullptr;  // int8, KRSC
  float* sums = nullptr;    // dense NHWC
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
};

// Enqueues the convolution (alpha 1, beta 0: the exact sums) on `stream`; cuDNN's status, nothing enqueued unless
// CUDNN_STATUS_SUCCESS.
cudnnStatus_t run_conv_int8(const ConvInt8Descriptors& d, const ConvInt8Choice& choice, const ConvInt8Buffers& b,
                            cudaStream_t stream);

// The algorithms cuDNN offers for the problem, its heuristic's picks first, each sized; only those needing at
// most `max_workspace` bytes.
std::vector<ConvInt8Choice> int8_choices(const ConvInt8Descriptors& d, size_t max_workspace, cudaStream_t stream);

// The fastest algorithm for `problem`: from the tuning cache, or timed on scratch buffers and the layer's own
// weights `w`. `note` gets a line saying what was timed and what won. Fails (unsupported) when cuDNN runs none.
ConvInt8Choice tune_conv_int8(const ConvInt8Problem& problem, const ConvInt8Descriptors& d, const void* w,
                              const std::string& label, std::string* note);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_INT8_ALGORITHMS_HPP
