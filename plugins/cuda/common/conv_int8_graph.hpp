// The INT8 convolution as one cuDNN graph (the backend API): int8 X and W, the exact int32 sums rescaled per
// output channel, the bias, the residual, the clamp and the requantization into int8 Y, all in one fused kernel
// on the int8 tensor cores. The legacy API has no such path for per-channel scales (its int8-to-float
// convolution runs without tensor cores, 10-20x slower than FP16 on Hopper: benchmarks/gpu/cudnn_int8_probe.cpp
// measured it), so this is the fast path; ConvInt8Layer keeps the legacy one for what the graph cannot do.
//
// The graph: conv(X, W) -> * scale[K] -> + bias[K] -> [+ alpha * Z] -> [clamp lo..hi] -> Y. For an int8 Y the
// scale, bias, alpha and bounds are already divided by Y's scale, so the graph's last conversion (round to
// nearest, saturate) is the requantization.
#ifndef KILN_CUDA_CONV_INT8_GRAPH_HPP
#define KILN_CUDA_CONV_INT8_GRAPH_HPP

#include <cudnn.h>

#include <memory>
#include <string>
#include <vector>

#include "common/conv_int8_descriptors.hpp"

namespace kiln::cuda {

struct ConvInt8GraphSpec {
  ConvInt8Problem problem;              // X (NHWC, C a multiple of 4), W [K, C, R, S], the sums' dims = Y's
  cudnnDataType_t y_type = CUDNN_DATA_INT8;  // or CUDNN_DATA_FLOAT / CUDNN_DATA_HALF for reals out
  bool residual = false;
  cudnnDataType_t z_type = CUDNN_DATA_INT8;
  float z_alpha = 1;                    // Z's integers (or reals) to Y's units
  // How the residual is scaled: by the ADD's alpha2 (one op), or, where an engine declines that, by a MUL with
  // a one-element tensor holding z_alpha (ConvInt8GraphBuffers::z_alpha).
  bool z_alpha_tensor = false;
  bool clamp = false;                   // Relu or Clip
  double lo = 0, hi = 0;                // in Y's units
};

struct ConvInt8GraphBuffers {
  const void* x = nullptr;
  const void* w = nullptr;
  const float* scale = nullptr;
  const float* bias = nullptr;
  const void* z = nullptr;
  const float* z_alpha = nullptr;  // device, one float: with ConvInt8GraphSpec::z_alpha_tensor
  void* y = nullptr;
  void* workspace = nullptr;
};

class ConvInt8Graph {
 public:
  // nullptr, with the reason in *why, when cuDNN has no engine for the graph on this GPU. `config` picks one of
  // the engine configurations cuDNN's heuristic lists (a timed choice, conv_int8_engine_tuning.hpp); -1 takes the
  // first in the heuristic's order that builds.
  static std::unique_ptr<ConvInt8Graph> build(cudnnHandle_t handle, const ConvInt8GraphSpec& spec, std::string* why,
                                              int config = -1);
  ~ConvInt8Graph();
  ConvInt8Graph(const ConvInt8Graph&) = delete;
  ConvInt8Graph& operator=(const ConvInt8Graph&) = delete;

  size_t workspace() const { return workspace_; }
  const std::string& engine() const { return engine_; }
  int config() const { return config_; }    // the index of the engine configuration in the heuristic's list
  int configs() const { return configs_; }  // how many the heuristic listed
  cudnnStatus_t run(cudnnHandle_t handle, const ConvInt8GraphBuffers& b) const;

 private:
  ConvInt8Graph() = default;

  std::vector<cudnnBackendDescriptor_t> owned_;  // every descriptor the plan was built from
  cudnnBackendDescriptor_t plan_ = nullptr;
  size_t workspace_ = 0;
  bool residual_ = false;
  bool z_alpha_tensor_ = false;
  std::string engine_;
  int config_ = -1, configs_ = 0;
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_INT8_GRAPH_HPP
