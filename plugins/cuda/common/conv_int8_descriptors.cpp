#include "common/conv_int8_descriptors.hpp"

namespace kiln::cuda {

std::string ConvInt8Problem::text() const {
  std::string s = "int8 x " + x.text() + " w " + std::to_string(filter[0]);
  for (size_t i = 1; i < filter.size(); ++i) s += "x" + std::to_string(filter[i]);
  s += " krsc sums " + sums.text();
  s += " group " + std::to_string(group);
  s += " pad " + std::to_string(window.pad[0]) + "," + std::to_string(window.pad[1]);
  s += " stride " + std::to_string(window.stride[0]) + "," + std::to_string(window.stride[1]);
  s += " dilation " + std::to_string(window.dilation[0]) + "," + std::to_string(window.dilation[1]);
  return s;
}

ConvInt8Descriptors::ConvInt8Descriptors(const ConvInt8Problem& p) {
  if (!p.x.is(KILN_LAYOUT_NHWC) || !p.sums.is(KILN_LAYOUT_NHWC))
    fail_invalid("cuDNN's int8 convolution reads and writes dense channels-last tensors, got x " + p.x.text() + " and sums " +
                 p.sums.text());
  set_image(x, KILN_DTYPE_INT8, p.x);
  set_image(sums, KILN_DTYPE_FLOAT32, p.sums);
  KILN_CUDNN(cudnnSetFilter4dDescriptor(w.get(), CUDNN_DATA_INT8, CUDNN_TENSOR_NHWC, as_cudnn_int(p.filter[0], "K"),
                                        as_cudnn_int(p.filter[1], "C"), as_cudnn_int(p.filter[2], "R"), as_cudnn_int(p.filter[3], "S")));
  const ConvWindow& win = p.window;
  KILN_CUDNN(cudnnSetConvolution2dDescriptor(conv.get(), as_cudnn_int(win.pad[0], "pad"), as_cudnn_int(win.pad[1], "pad"),
                                             as_cudnn_int(win.stride[0], "stride"), as_cudnn_int(win.stride[1], "stride"),
                                             as_cudnn_int(win.dilation[0], "dilation"), as_cudnn_int(win.dilation[1], "dilation"),
                                             CUDNN_CROSS_CORRELATION, CUDNN_DATA_INT32));
  KILN_CUDNN(cudnnSetConvolutionGroupCount(conv.get(), as_cudnn_int(p.group, "group")));
  // Integer products are exact whichever unit computes them: tensor cores (IMMA) are welcome.
  KILN_CUDNN(cudnnSetConvolutionMathType(conv.get(), CUDNN_TENSOR_OP_MATH));
  int n = 0, c = 0, h = 0, wd = 0;
  KILN_CUDNN(cudnnGetConvolution2dForwardOutputDim(conv.get(), x.get(), w.get(), &n, &c, &h, &wd));
  if (n != p.sums.dims[0] || c != p.sums.dims[1] || h != p.sums.dims[2] || wd != p.sums.dims[3])
    fail_invalid("cuDNN computes an int8 convolution output of " + std::to_string(n) + "x" + std::to_string(c) + "x" +
                 std::to_string(h) + "x" + std::to_string(wd) + ", Y is " + p.sums.text());
}

}  // namespace kiln::cuda
