// cuDNN descriptors, owned (RAII), and the one convolution problem a ConvFused or Conv node poses to cuDNN:
// X, W, Y and the residual with their dims and strides, the window, groups, bias and activation.
#ifndef KILN_CUDA_CONV_DESCRIPTORS_HPP
#define KILN_CUDA_CONV_DESCRIPTORS_HPP

#include <cudnn.h>

#include <optional>
#include <string>
#include <vector>

#include "common/conv_attributes.hpp"
#include "common/cuda_check.hpp"
#include "common/image_dims.hpp"

namespace kiln::cuda {

// A cuDNN descriptor of type T made with Create and destroyed with Destroy when it goes out of scope.
template <class T, cudnnStatus_t (*Create)(T*), cudnnStatus_t (*Destroy)(T)>
class CudnnDescriptor {
 public:
  CudnnDescriptor() { KILN_CUDNN(Create(&handle_)); }
  ~CudnnDescriptor() {
    if (handle_) Destroy(handle_);
  }
  CudnnDescriptor(const CudnnDescriptor&) = delete;
  CudnnDescriptor& operator=(const CudnnDescriptor&) = delete;
  T get() const { return handle_; }

 private:
  T handle_ = nullptr;
};

using TensorDescriptor = CudnnDescriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDescriptor = CudnnDescriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvolutionDescriptor =
    CudnnDescriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor, cudnnDestroyConvolutionDescriptor>;
using ActivationDescriptor =
    CudnnDescriptor<cudnnActivationDescriptor_t, cudnnCreateActivationDescriptor, cudnnDestroyActivationDescriptor>;

cudnnDataType_t cudnn_dtype(kiln_dtype dtype);
// A dim, pad or stride as cuDNN's 4-D descriptors take it (int); fails naming `what` when it does not fit.
int as_cudnn_int(int64_t v, const char* what);
// Describes a 4-D image: by format when it is dense NCHW or NHWC (so cuDNN sees the layout it has kernels for),
// else by its strides.
void set_image(const TensorDescriptor& desc, kiln_dtype dtype, const ImageDims& image);

// The convolution a node asks for, with everything cuDNN's descriptors need.
struct ConvProblem {
  kiln_dtype dtype = KILN_DTYPE_FLOAT32;  // X, W, Y and the residual
  ImageDims x, y;
  std::optional<ImageDims> z;             // the residual added before the activation, when there is one
  std::vector<int64_t> filter;            // W's [K, C/group, R, S]
  bool filter_nhwc = false;               // W uploaded KRSC (for channels-last X) rather than KCRS
  ConvWindow window;
  int64_t group = 1;
  bool has_bias = false;                  // a bias that is not all zeros
  bool relu = false;

  // Everything the fastest algorithm depends on, as text: for tuning keys and notes.
  std::string text() const;
};

// The descriptors of one ConvProblem.
struct ConvDescriptors {
  explicit ConvDescriptors(const ConvProblem& problem);

  TensorDescriptor x, y, z, bias;  // z describes Y when there is no residual (cuDNN then reads Y times 0)
  FilterDescriptor w;
  ConvolutionDescriptor conv;
  ActivationDescriptor activation;  // Relu, or identity
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_DESCRIPTORS_HPP
