// A 4-D image tensor as memory holds it: the logical dims N, C, H, W (ONNX order, whatever the layout) and the
// stride of each in elements. Convolutions, pooling and their epilogues describe X, Y and residuals this way, so
// that NCHW, NHWC and strided views all go through one path. Host and device code both include it.
#ifndef KILN_CUDA_IMAGE_DIMS_HPP
#define KILN_CUDA_IMAGE_DIMS_HPP

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln::cuda {

struct ImageDims {
  std::array<int64_t, 4> dims{};     // N, C, H, W
  std::array<int64_t, 4> strides{};  // elements between neighbours along each dim

  // Dense in `layout`: NCHW row-major for LINEAR, {H*W*C, 1, W*C, C} for NHWC.
  static ImageDims dense(const std::vector<int64_t>& d, kiln_layout layout) {
    if (d.size() != 4) fail_invalid("an image tensor needs rank 4, got " + std::to_string(d.size()));
    ImageDims s;
    for (int i = 0; i < 4; ++i) s.dims[i] = d[i];
    const int64_t c = d[1], h = d[2], w = d[3];
    if (layout == KILN_LAYOUT_NHWC) s.strides = {h * w * c, 1, w * c, c};
    else s.strides = {c * h * w, h * w, w, 1};
    return s;
  }
  // What an execute-time tensor is: its dims, and its strides when it has them (else dense in its layout).
  static ImageDims of(const Tensor& t) {
    ImageDims s = dense(t.shape(), t.layout());
    if (t.strides())
      for (int i = 0; i < 4; ++i) s.strides[i] = t.strides()[i];
    return s;
  }

  int64_t count() const { return dims[0] * dims[1] * dims[2] * dims[3]; }
  // Elements from the first to one past the last (what a buffer holding it needs).
  int64_t span() const {
    int64_t last = 0;
    for (int i = 0; i < 4; ++i) {
      if (dims[i] == 0) return 0;
      last += (dims[i] - 1) * strides[i];
    }
    return last + 1;
  }
  bool is(kiln_layout layout) const { return strides == dense({dims[0], dims[1], dims[2], dims[3]}, layout).strides; }
  bool operator==(const ImageDims& o) const { return dims == o.dims && strides == o.strides; }
  bool operator!=(const ImageDims& o) const { return !(*this == o); }

  // "1x64x56x56 nhwc", or the strides when neither dense layout fits.
  std::string text() const {
    std::string s = std::to_string(dims[0]);
    for (int i = 1; i < 4; ++i) s += "x" + std::to_string(dims[i]);
    if (is(KILN_LAYOUT_LINEAR)) return s + " nchw";
    if (is(KILN_LAYOUT_NHWC)) return s + " nhwc";
    s += " strides ";
    for (int i = 0; i < 4; ++i) s += (i ? "," : "") + std::to_string(strides[i]);
    return s;
  }
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_IMAGE_DIMS_HPP
