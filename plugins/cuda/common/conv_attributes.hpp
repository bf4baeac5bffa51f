// A Conv node's attributes as the CUDA convolutions take them: 2-D only, with the padding resolved (auto_pad
// included) into one pad per spatial dim, since cuDNN pads both sides of a dim alike.
#ifndef KILN_CUDA_CONV_ATTRIBUTES_HPP
#define KILN_CUDA_CONV_ATTRIBUTES_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln::cuda {

// One convolution's window over X's two spatial dims (index 0: H, 1: W).
struct ConvWindow {
  int64_t kernel[2] = {1, 1}, stride[2] = {1, 1}, dilation[2] = {1, 1}, pad[2] = {0, 0}, out[2] = {0, 0};
};

class ConvAttributes {
 public:
  explicit ConvAttributes(const Node& conv);

  // Why the CUDA kernels do not run this Conv ("" when they do), from what the graph knows of X and W.
  std::string unsupported(const ValueInfo& x, const ValueInfo& w) const;
  // The window over X's spatial dims for a W of `w_dims` [K, C/group, R, S]; fails on asymmetric padding.
  ConvWindow window(int64_t h, int64_t w, const std::vector<int64_t>& w_dims) const;
  // Y's dims [N, K, OH, OW] from X's and W's, -1 where not known yet.
  std::vector<int64_t> output_dims(const std::vector<int64_t>& x, const std::vector<int64_t>& w) const;
  int64_t group() const { return group_; }
  const std::string& label() const { return label_; }

 private:
  // One spatial dim's pads {begin, end} for input size `in` (> 0) and a window `extent` wide.
  void pads_of(int dim, int64_t in, int64_t extent, int64_t* begin, int64_t* end) const;
  std::string padding_reason(const ValueInfo& x, const std::vector<int64_t>& w_dims) const;

  std::string label_, auto_pad_;
  std::vector<int64_t> kernel_shape_, strides_, dilations_, pads_;
  int64_t group_;
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_ATTRIBUTES_HPP
