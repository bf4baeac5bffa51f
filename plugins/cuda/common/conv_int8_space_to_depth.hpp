// A first layer in INT8: few input channels (RGB) and stride 2, as ResNet's and GoogLeNet's 7x7/2 stems are. cuDNN's
// int8 engines run such a layer padded to 16 channels slower than the whole FP16 network (7.8 ms for ResNet-50's
// stem at batch 256 on an H200, docs/performance.md); this path turns it into a convolution kiln's own int8 kernel
// (common/conv_int8_imma.hpp) runs well.
//
// Space-to-depth: each 2x2 patch of X becomes one pixel of 4 * C <= 16 channels (padded to 16, one 16-byte vector),
// so the stride-2 window over X is a stride-1 window over the packed image (common/space_to_depth_window.hpp): for
// the 7x7/2 stem, 4x4/1 with pad 2 before. The packed weights are the original ones moved, zeros where a packed
// tap has no original one, so the sums are the original convolution's exactly: 4x4x16 = 256 products per output
// where padding the channels alone would make 7x7x16 = 784.
//
// Each call packs X into the workspace (common/pad_channels.hpp), runs the kernel with the tile shape timed at
// create, and stages Y or the residual through the workspace when they are not stored dense channels-last.
#ifndef KILN_CUDA_CONV_INT8_SPACE_TO_DEPTH_HPP
#define KILN_CUDA_CONV_INT8_SPACE_TO_DEPTH_HPP

#include <string>
#include <vector>

#include "common/conv_attributes.hpp"
#include "common/conv_int8_imma.hpp"
#include "common/conv_int8_weights.hpp"
#include "common/device_buffer.hpp"
#include "common/image_dims.hpp"
#include "common/space_to_depth_window.hpp"

namespace kiln::cuda {

class ConvInt8SpaceToDepth {
 public:
  static constexpr int64_t kBlock = kSpaceToDepthBlock, kChannels = 16;

  // Why `conv` (its attributes, W's and X's dims) cannot run this way, or "": stride 2 and dilation 1 on both
  // spatial dims, one group, at most 4 input channels, output channels a multiple of 8, X's height and width known.
  static std::string unsuitable(const Node& conv);
  // Why Y or the residual (nullptr: none) is not what this layer writes and reads, symmetric int8, or "". A value
  // whose dtype is not decided yet passes (kernel checks may run before the builder's quantization).
  static std::string ends_reason(const ValueInfo& y, const ValueInfo* residual);
  // `constants`: the requantization in Y's units (scale, bias, z_alpha, lo, hi); its pointers are replaced by this
  // layer's own copies. `residual_input`: the node's input position of the residual, -1 for none.
  ConvInt8SpaceToDepth(const Node& node, const ConvAttributes& attrs, const Int8ConvWeights& weights,
                       const std::vector<float>& scale, const std::vector<float>& bias, const ConvInt8ImmaArgs& constants,
                       int residual_input, const std::string& label);

  size_t workspace_size(const ExecContext& ctx) const;
  void execute(const ExecContext& ctx) const;

 private:
  struct Layout {  // byte offsets in the workspace; y_stage or z_stage 0 when not staged
    size_t y_stage = 0, z_stage = 0, total = 0;
  };
  ConvInt8ImmaShape shape_for(int64_t n) const;
  // Where the call's buffers go: the packed X first, then Y's and Z's staging when they need one.
  Layout layout_for(int64_t n, bool stage_y, bool stage_z) const;

  std::string label_;
  int residual_input_;
  ConvWindow window_;
  int64_t in_h_ = 0, in_w_ = 0, k_ = 0;
  PackedWindowDim packed_[2];
  DeviceBuffer weight_, scale_, bias_;
  ConvInt8ImmaArgs constants_;
  int tile_ = 0;
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_INT8_SPACE_TO_DEPTH_HPP
