// Writing a kernel's output image by image when the core may hand it a strided view (a slice of an eliminated
// Concat's output; the kernel declares KILN_KERNEL_STRIDED_OUTPUT). A slice along the channel axis keeps each
// image's block dense, so images are written in place at their stride; any other view is computed densely and
// scattered into place.
#ifndef KILN_CPU_REF_IMAGE_OUTPUT_HPP
#define KILN_CPU_REF_IMAGE_OUTPUT_HPP

#include <vector>

#include "kiln/plugin.hpp"

namespace kiln::cpu_ref {

// The element distance between consecutive images (dim 0) of `y` when every image is one dense block, else -1.
inline int64_t dense_image_stride(const Tensor& y) {
  const std::vector<int64_t> dims = y.shape();
  int64_t expected = 1;
  for (size_t k = dims.size(); k-- > 1;) {
    if (!y.dense() && dims[k] != 1 && y.strides()[k] != expected) return -1;
    expected *= dims[k];
  }
  return y.dense() || dims.empty() ? expected : y.strides()[0];
}

// Copies dense row-major `src` of shape `dims` into `dst` laid out with `strides` (elements).
template <class T>
void scatter_strided(const T* src, T* dst, const std::vector<int64_t>& dims, const int64_t* strides) {
  int64_t total = 1;
  for (int64_t d : dims) total *= d;
  std::vector<int64_t> counter(dims.size(), 0);
  int64_t at = 0;
  for (int64_t i = 0; i < total; ++i) {
    dst[at] = src[i];
    for (size_t d = dims.size(); d-- > 0;) {
      at += strides[d];
      if (++counter[d] < dims[d]) break;
      at -= strides[d] * dims[d];
      counter[d] = 0;
    }
  }
}

template <class T>
class ImageOutput {
 public:
  explicit ImageOutput(const Tensor& y) : y_(y), stride_(dense_image_stride(y)) {
    if (stride_ < 0) scratch_.resize(static_cast<size_t>(y.numel()));
  }
  // Where image n's dense block of `image_size` elements goes.
  T* image(int64_t n, int64_t image_size) {
    return stride_ >= 0 ? y_.data<T>() + n * stride_ : scratch_.data() + n * image_size;
  }
  // Puts a scattered view's values in place; nothing to do otherwise.
  void finish() {
    if (stride_ < 0) scatter_strided(scratch_.data(), y_.data<T>(), y_.shape(), y_.strides());
  }

 private:
  Tensor y_;
  int64_t stride_;
  std::vector<T> scratch_;
};

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_IMAGE_OUTPUT_HPP
