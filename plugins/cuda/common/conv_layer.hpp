// The body of the Conv and ConvFused kernels: one 2-D convolution with what the pattern fused into it (a
// BatchNormalization folded into the weights, a residual Add, Relu), run by cuDNN (common/conv_algorithms.hpp).
//
// Create packs the weights (folded in double, converted to the compute dtype, KRSC for channels-last X),
// and, when every dim is known, builds the descriptors and times the ways to run the layer. Execute is one cuDNN
// call (plus the epilogue kernel when the unfused way won) on the context's stream, allocating nothing.
#ifndef KILN_CUDA_CONV_LAYER_HPP
#define KILN_CUDA_CONV_LAYER_HPP

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/conv_algorithms.hpp"
#include "common/device_buffer.hpp"

namespace kiln::cuda {

// What a convolution kernel computes around the Conv itself.
struct ConvRecipe {
  Node conv;                       // the Conv: the node itself, or a fused node's first step
  std::optional<Node> batch_norm;  // folded into the weights, when the pattern has one
  int residual_input = -1;         // the kernel node's input position of the Add operand; -1 without an Add
  bool relu = false;
};

class ConvLayer {
 public:
  ConvLayer(const Node& node, const ConvRecipe& recipe);

  size_t workspace_size(const ExecContext& ctx) const;
  void execute(const ExecContext& ctx) const;

 private:
  struct Shapes {
    ImageDims x, y;
    std::optional<ImageDims> z;
  };
  Shapes shapes_of(const ExecContext& ctx) const;
  ConvProblem problem_for(const Shapes& s) const;
  bool planned_for(const Shapes& s) const;
  // X's bytes as the padded copy in the workspace takes them (0 without padding), 256-byte aligned.
  size_t padded_x_bytes(const Shapes& s) const;
  void plan(const Node& node);
  // Shapes other than the planned ones: descriptors made for the call, algorithms tried in a fixed order.
  void run_unplanned(const ConvProblem& problem, const ConvBuffers& b, cudaStream_t stream) const;

  ConvAttributes attrs_;
  std::string label_;
  kiln_dtype dtype_;
  int residual_input_;
  bool relu_;
  std::vector<int64_t> filter_;  // W's dims [K, C/group, R, S]
  bool filter_nhwc_ = false;
  bool has_bias_ = false;
  DeviceBuffer weight_, bias_, bias_f32_;

  // A first layer's few input channels (RGB) padded with zeros to 4 in a channels-last copy of X per call, the
  // weights once: cuDNN's FP16 convolution runs it twice as fast (benchmarks/gpu/cudnn_stem_probe.cpp). Planned
  // shapes only; 0: no padding.
  int64_t c_padded_ = 0;
  DeviceBuffer padded_weight_;
  std::optional<ConvProblem> planned_;  // the shapes known at create, when all were (X padded when c_padded_)
  ImageDims planned_x_;                 // X as the planned calls bring it
  std::unique_ptr<ConvDescriptors> descriptors_;
  ConvChoice choice_;
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_LAYER_HPP
