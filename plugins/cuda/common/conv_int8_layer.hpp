// The body of the INT8 convolution kernels (ops/conv_fused_int8.cpp): one 2-D convolution of int8 X by int8
// weights on cuDNN (common/conv_int8_algorithms.hpp), then one epilogue kernel (common/conv_int8_epilogue.hpp)
// that rescales the exact sums to reals, adds the bias and the residual, applies Relu/Clip and writes int8 (or
// float) Y.
//
// Create quantizes the weights (common/conv_int8_weights.hpp), uploads them with the per-channel multipliers and
// the bias, and, when every dim is known, times cuDNN's algorithms. cuDNN's int8 convolution wants channels in
// multiples of 4 and X channels-last: channels are padded with zeros (the weights once, X per call, in the
// workspace, together with any layout change). Execute, on the context's stream: that copy of X when needed, the
// convolution into the workspace's float sums, the epilogue into Y.
//
// The fast path, whenever the shapes are known at create and the layout fits: the whole layer as one cuDNN graph
// on the int8 tensor cores (common/conv_int8_graph.hpp), the requantization fused, or kiln's own fused kernel
// (common/conv_int8_imma.hpp) where it was timed faster (common/conv_int8_engine_tuning.hpp). The legacy path above (float
// sums, then the epilogue kernel) stays for the rest: unknown shapes, output channels not a multiple of 4,
// a Y or residual stored other than dense NHWC, a zero point on Y.
//
// A first layer's few input channels (RGB) take neither: the whole layer is common/conv_int8_space_to_depth.hpp's.
#ifndef KILN_CUDA_CONV_INT8_LAYER_HPP
#define KILN_CUDA_CONV_INT8_LAYER_HPP

#include <limits>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/conv_int8_algorithms.hpp"
#include "common/conv_int8_epilogue.hpp"
#include "common/conv_int8_engine_tuning.hpp"
#include "common/conv_int8_graph.hpp"
#include "common/conv_int8_imma.hpp"
#include "common/conv_int8_space_to_depth.hpp"
#include "common/device_buffer.hpp"
#include "common/quant_params.hpp"

namespace kiln::cuda {

// What the INT8 kernel computes around the Conv itself.
struct ConvInt8Recipe {
  Node conv;                       // the Conv: the node itself, or a fused node's first step
  std::optional<Node> batch_norm;  // folded into the weights before they are quantized
  int residual_input = -1;         // the kernel node's input position of the Add operand; -1 without an Add
  float lo = -std::numeric_limits<float>::infinity();  // the activation as a clamp: Relu [0, inf), Clip [min, max]
  float hi = std::numeric_limits<float>::infinity();
};

class ConvInt8Layer {
 public:
  ConvInt8Layer(const Node& node, const ConvInt8Recipe& recipe);

  size_t workspace_size(const ExecContext& ctx) const;
  void execute(const ExecContext& ctx) const;

 private:
  struct Shapes {
    ImageDims x, y;
    std::optional<ImageDims> z;
  };
  // The workspace: the float sums first, then the channels-last, channel-padded copy of X when X needs one,
  // then cuDNN's scratch. Byte offsets.
  struct WorkspaceLayout {
    size_t x_copy = 0, cudnn = 0, total = 0;
  };

  Shapes shapes_of(const ExecContext& ctx) const;
  ConvInt8Problem problem_for(const Shapes& s) const;
  bool planned_for(const Shapes& s) const { return planned_ && planned_shapes_.x == s.x && planned_shapes_.y == s.y; }
  // Whether X must be copied before cuDNN reads it: stored other than dense NHWC, or channels padded.
  bool copies_x(const Shapes& s) const { return !s.x.is(KILN_LAYOUT_NHWC) || c_padded_ != s.x.dims[1]; }
  WorkspaceLayout layout_for(const Shapes& s, size_t cudnn_bytes) const;
  void plan(const Node& node);
  void copy_x(const Tensor& x, const Shapes& s, void* to, cudaStream_t stream) const;
  // Shapes other than the planned ones: descriptors made for the call, cuDNN's heuristic order tried.
  void run_unplanned(const ConvInt8Problem& problem, const ConvInt8Buffers& b, cudaStream_t stream) const;
  void run_epilogue(const ExecContext& ctx, const Shapes& s, const float* sums, cudaStream_t stream) const;
  // The fused graph for the planned shapes, when cuDNN has one; the reason in a note when not.
  void plan_graph(const Node& node, const Shapes& s);
  std::string graph_unsuitable(const Node& node, const Shapes& s) const;
  void run_graph(const ExecContext& ctx, const Shapes& s, cudaStream_t stream) const;
  // kiln's own kernel (common/conv_int8_imma.hpp), a candidate beside cuDNN's engine configs: why it does not run
  // the layer ("" when it does), its shape, and its arguments with the layer's constants (nullopt: unsuitable).
  std::string own_kernel_unsuitable(const Node& node, const Shapes& s) const;
  ConvInt8ImmaShape own_shape(const Shapes& s) const;
  std::optional<ConvInt8ImmaArgs> own_kernel_args(const Node& node, const Shapes& s, const ConvInt8GraphSpec& spec) const;
  // Runs the call on kiln's kernel when it was timed fastest; false when the buffers are not aligned for it.
  bool run_own_kernel(const ConvInt8GraphBuffers& b, cudaStream_t stream) const;
  // The requantization after the sums, in Y's units (everything in the spec but the problem); the factor to Y's
  // units; per-channel values in them; kiln's kernel's share of a spec.
  ConvInt8GraphSpec requantization(const Node& node) const;
  double y_unit(const Node& node) const;
  std::vector<float> in_y_units(const Node& node, std::vector<float> values) const;
  static void set_own_requantization(const ConvInt8GraphSpec& spec, ConvInt8ImmaArgs* a);
  // A first layer's few input channels: the whole layer is first_layer_'s (fails where that cannot run it).
  void plan_space_to_depth(const Node& node, const Node& conv, const Int8ConvWeights& weights);

  ConvAttributes attrs_;
  std::string label_;
  int residual_input_;
  float lo_, hi_;
  std::vector<int64_t> filter_;      // W's dims [K, C/group, R, S]
  int64_t k_padded_ = 0, c_padded_ = 0;  // K and C rounded up to multiples of 4
  bool has_bias_ = false;
  DeviceBuffer weight_, multiplier_, bias_;
  TensorQuant y_quant_, residual_quant_;  // Y's and the Add operand's grids, when they are int8

  std::optional<ConvInt8Problem> planned_;  // the shapes known at create, when all were
  Shapes planned_shapes_;
  std::unique_ptr<ConvInt8Descriptors> descriptors_;
  ConvInt8Choice choice_;
  std::unique_ptr<ConvInt8Graph> graph_;   // the fused path for the planned shapes, when there is one
  ConvInt8GraphSpec graph_spec_;
  ConvInt8Engine engine_;        // what the timing chose for the planned shapes: a graph config or kiln's kernel
  ConvInt8ImmaArgs own_args_;    // kiln's kernel's constants, when it was chosen
  // cuDNN execution plans belong to the handle they were built with: one per stream's handle, built on the
  // first (eager) call on that stream, since building compiles kernels and must not happen while a CUDA graph is
  // captured.
  const ConvInt8Graph& graph_for(cudnnHandle_t handle, cudaStream_t stream) const;
  mutable std::mutex graphs_mutex_;
  mutable std::map<cudnnHandle_t, std::unique_ptr<ConvInt8Graph>> graphs_;
  DeviceBuffer graph_scale_, graph_bias_, graph_z_alpha_;  // per channel, in Y's units; the residual's factor
  std::vector<float> host_multiplier_, host_bias_;
  std::unique_ptr<ConvInt8SpaceToDepth> first_layer_;  // set for a first layer's few channels: it runs every call
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_INT8_LAYER_HPP
