#include "common/conv_descriptors.hpp"

#include <climits>

namespace kiln::cuda {

int as_cudnn_int(int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX) fail_unsupported(std::string("cuDNN: ") + what + " " + std::to_string(v) + " does not fit an int");
  return static_cast<int>(v);
}

cudnnDataType_t cudnn_dtype(kiln_dtype dtype) {
  switch (dtype) {
    case KILN_DTYPE_FLOAT32: return CUDNN_DATA_FLOAT;
    case KILN_DTYPE_FLOAT16: return CUDNN_DATA_HALF;
    case KILN_DTYPE_INT8: return CUDNN_DATA_INT8;  // the INT8 convolution's X and W (common/conv_int8_descriptors.hpp)
    default: fail_unsupported(std::string("cuDNN kernels here take float32, float16 or int8, not ") + dtype_name(dtype));
  }
}

void set_image(const TensorDescriptor& desc, kiln_dtype dtype, const ImageDims& image) {
  const int n = as_cudnn_int(image.dims[0], "N"), c = as_cudnn_int(image.dims[1], "C"), h = as_cudnn_int(image.dims[2], "H"),
            w = as_cudnn_int(image.dims[3], "W");
  if (image.is(KILN_LAYOUT_LINEAR))
    KILN_CUDNN(cudnnSetTensor4dDescriptor(desc.get(), CUDNN_TENSOR_NCHW, cudnn_dtype(dtype), n, c, h, w));
  else if (image.is(KILN_LAYOUT_NHWC))
    KILN_CUDNN(cudnnSetTensor4dDescriptor(desc.get(), CUDNN_TENSOR_NHWC, cudnn_dtype(dtype), n, c, h, w));
  else
    KILN_CUDNN(cudnnSetTensor4dDescriptorEx(desc.get(), cudnn_dtype(dtype), n, c, h, w, as_cudnn_int(image.strides[0], "stride"),
                                            as_cudnn_int(image.strides[1], "stride"), as_cudnn_int(image.strides[2], "stride"),
                                            as_cudnn_int(image.strides[3], "stride")));
}

std::string ConvProblem::text() const {
  std::string s = std::string(dtype_name(dtype)) + " x " + x.text() + " w " + std::to_string(filter[0]);
  for (size_t i = 1; i < filter.size(); ++i) s += "x" + std::to_string(filter[i]);
  s += filter_nhwc ? " krsc" : " kcrs";
  s += " y " + y.text();
  if (z) s += " z " + z->text();
  s += " group " + std::to_string(group);
  s += " pad " + std::to_string(window.pad[0]) + "," + std::to_string(window.pad[1]);
  s += " stride " + std::to_string(window.stride[0]) + "," + std::to_string(window.stride[1]);
  s += " dilation " + std::to_string(window.dilation[0]) + "," + std::to_string(window.dilation[1]);
  s += has_bias ? " bias" : "";
  s += relu ? " relu" : "";
  return s;
}

ConvDescriptors::ConvDescriptors(const ConvProblem& p) {
  const cudnnDataType_t type = cudnn_dtype(p.dtype);
  set_image(x, p.dtype, p.x);
  set_image(y, p.dtype, p.y);
  set_image(z, p.dtype, p.z ? *p.z : p.y);
  KILN_CUDNN(cudnnSetTensor4dDescriptor(bias.get(), CUDNN_TENSOR_NCHW, type, 1, as_cudnn_int(p.filter[0], "K"), 1, 1));
  KILN_CUDNN(cudnnSetFilter4dDescriptor(w.get(), type, p.filter_nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW,
                                        as_cudnn_int(p.filter[0], "K"), as_cudnn_int(p.filter[1], "C"), as_cudnn_int(p.filter[2], "R"),
                                        as_cudnn_int(p.filter[3], "S")));
  const ConvWindow& win = p.window;
  // Float accumulation for both dtypes (float16 data: cuDNN's PSEUDO_HALF_CONFIG, on tensor cores). Float32 runs
  // on FMA only: the default math would allow TF32 tensor cores, whose 10-bit mantissa misses the 1e-4 that the
  // float32 results must keep against the reference.
  KILN_CUDNN(cudnnSetConvolution2dDescriptor(conv.get(), as_cudnn_int(win.pad[0], "pad"), as_cudnn_int(win.pad[1], "pad"),
                                             as_cudnn_int(win.stride[0], "stride"), as_cudnn_int(win.stride[1], "stride"),
                                             as_cudnn_int(win.dilation[0], "dilation"), as_cudnn_int(win.dilation[1], "dilation"),
                                             CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  KILN_CUDNN(cudnnSetConvolutionGroupCount(conv.get(), as_cudnn_int(p.group, "group")));
  KILN_CUDNN(cudnnSetConvolutionMathType(conv.get(), p.dtype == KILN_DTYPE_FLOAT16 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
  KILN_CUDNN(cudnnSetActivationDescriptor(activation.get(), p.relu ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY,
                                          CUDNN_NOT_PROPAGATE_NAN, 0.0));
  int n = 0, c = 0, h = 0, wd = 0;
  KILN_CUDNN(cudnnGetConvolution2dForwardOutputDim(conv.get(), x.get(), w.get(), &n, &c, &h, &wd));
  if (n != p.y.dims[0] || c != p.y.dims[1] || h != p.y.dims[2] || wd != p.y.dims[3])
    fail_invalid("cuDNN computes a convolution output of " + std::to_string(n) + "x" + std::to_string(c) + "x" +
                 std::to_string(h) + "x" + std::to_string(wd) + ", Y is " + p.y.text());
}

}  // namespace kiln::cuda
