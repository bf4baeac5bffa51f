#include "common/conv_attributes.hpp"

#include <algorithm>

namespace kiln::cuda {

namespace {

bool same_padding(const std::string& auto_pad) { return auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER"; }

std::string list_text(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

ConvAttributes::ConvAttributes(const Node& conv)
    : label_("Conv '" + conv.name() + "'"),
      auto_pad_(conv.attr_string("auto_pad", "NOTSET")),
      kernel_shape_(conv.attr_ints("kernel_shape", {})),
      strides_(conv.attr_ints("strides", {1, 1})),
      dilations_(conv.attr_ints("dilations", {1, 1})),
      pads_(conv.attr_ints("pads", {0, 0, 0, 0})),
      group_(conv.attr_int("group", 1)) {}

std::string ConvAttributes::unsupported(const ValueInfo& x, const ValueInfo& w) const {
  if (!w.has_rank || w.rank() != 4) return "only 2-D convolutions run here (W's rank is not 4)";
  if (x.has_rank && x.rank() != 4) return "only 2-D convolutions run here (X's rank is " + std::to_string(x.rank()) + ")";
  if (!w.data || !w.shape_known()) return "W '" + w.name + "' is not a constant (weights are packed once, in create)";
  if (strides_.size() != 2 || dilations_.size() != 2 || pads_.size() != 4 ||
      (!kernel_shape_.empty() && kernel_shape_.size() != 2))
    return "kernel_shape, strides, dilations or pads do not describe 2 spatial dims";
  if (!kernel_shape_.empty() && (kernel_shape_[0] != w.dims[2] || kernel_shape_[1] != w.dims[3]))
    return "kernel_shape " + list_text(kernel_shape_) + " does not match W " + list_text(w.dims);
  for (int d = 0; d < 2; ++d)
    if (strides_[d] <= 0 || dilations_[d] <= 0) return "strides and dilations must be positive";
  if (auto_pad_ != "NOTSET" && auto_pad_ != "VALID" && !same_padding(auto_pad_)) return "unknown auto_pad '" + auto_pad_ + "'";
  if (group_ <= 0 || w.dims[0] % group_ != 0)
    return "group " + std::to_string(group_) + " does not divide W's " + std::to_string(w.dims[0]) + " output channels";
  if (x.has_rank && x.dims[1] >= 0 && w.dims[1] * group_ != x.dims[1])
    return "X has " + std::to_string(x.dims[1]) + " channels; W and group " + std::to_string(group_) + " expect " +
           std::to_string(w.dims[1] * group_);
  return padding_reason(x, w.dims);
}

std::string ConvAttributes::padding_reason(const ValueInfo& x, const std::vector<int64_t>& w_dims) const {
  for (int d = 0; d < 2; ++d) {
    const int64_t extent = (w_dims[2 + d] - 1) * dilations_[d] + 1;
    const int64_t in = x.has_rank ? x.dims[2 + d] : -1;
    if (in < 0) {
      if (auto_pad_ == "NOTSET" && pads_[d] != pads_[d + 2])
        return "asymmetric pads " + list_text(pads_) + " (cuDNN pads both sides of a dim alike)";
      // SAME padding with stride 1 pads extent - 1 in all, evenly when the extent is odd; else it depends on X.
      if (same_padding(auto_pad_) && (strides_[d] != 1 || extent % 2 == 0))
        return "auto_pad " + auto_pad_ + " here needs X's spatial dims, which are unknown, to know whether it pads evenly";
      continue;
    }
    int64_t begin = 0, end = 0;
    pads_of(d, in, extent, &begin, &end);
    if (begin != end)
      return "the padding of spatial dim " + std::to_string(d) + " is asymmetric (" + std::to_string(begin) + ", " +
             std::to_string(end) + "): cuDNN pads both sides of a dim alike";
    if (in + 2 * begin < extent) return "the window is larger than the padded input";
  }
  return "";
}

void ConvAttributes::pads_of(int dim, int64_t in, int64_t extent, int64_t* begin, int64_t* end) const {
  if (same_padding(auto_pad_)) {
    const int64_t stride = strides_[dim];
    const int64_t out = (in + stride - 1) / stride;
    const int64_t total = std::max<int64_t>(0, (out - 1) * stride + extent - in);
    *begin = auto_pad_ == "SAME_UPPER" ? total / 2 : total - total / 2;
    *end = total - *begin;
  } else if (auto_pad_ == "VALID") {
    *begin = *end = 0;
  } else {
    *begin = pads_[dim];
    *end = pads_[dim + 2];
  }
}

ConvWindow ConvAttributes::window(int64_t h, int64_t w, const std::vector<int64_t>& w_dims) const {
  ConvWindow win;
  const int64_t in[2] = {h, w};
  for (int d = 0; d < 2; ++d) {
    win.kernel[d] = w_dims.at(2 + d);
    win.stride[d] = strides_.at(d);
    win.dilation[d] = dilations_.at(d);
    const int64_t extent = (win.kernel[d] - 1) * win.dilation[d] + 1;
    int64_t begin = 0, end = 0;
    pads_of(d, in[d], extent, &begin, &end);
    if (begin != end) fail_unsupported(label_ + ": asymmetric padding (" + std::to_string(begin) + ", " + std::to_string(end) + ")");
    const int64_t span = in[d] + 2 * begin - extent;
    if (span < 0) fail_invalid(label_ + ": the window is larger than the padded input");
    win.pad[d] = begin;
    win.out[d] = span / win.stride[d] + 1;
  }
  return win;
}

std::vector<int64_t> ConvAttributes::output_dims(const std::vector<int64_t>& x, const std::vector<int64_t>& w) const {
  std::vector<int64_t> out = {x.at(0), w.at(0), -1, -1};
  for (int d = 0; d < 2; ++d) {
    const int64_t in = x.at(2 + d);
    if (in < 0) continue;
    const int64_t extent = (w.at(2 + d) - 1) * dilations_.at(d) + 1;
    int64_t begin = 0, end = 0;
    pads_of(d, in, extent, &begin, &end);
    out[2 + d] = (in + begin + end - extent) / strides_.at(d) + 1;
  }
  return out;
}

}  // namespace kiln::cuda
