// What cuDNN's FP16 convolution takes for an RGB first layer (7x7, stride 2, pad 3, 64 filters: ResNet-50's and
// GoogLeNet's stem) at batch 256 with X channels-last and its 3 channels as they are, or padded with zero
// channels to 4 or 8 (as TensorRT pads a first layer): every forward algorithm cuDNN runs, timed, fastest first.
// Decides whether kiln's Conv should pad few input channels (plugins/cuda/common/conv_layer.cpp).
//
//   g++ -O2 -std=c++17 benchmarks/gpu/cudnn_stem_probe.cpp -I/usr/local/cuda/include -L/usr/local/cuda/lib64 \
//       -lcudnn -lcudart -o cudnn_stem_probe                                  (scripts/gpu-check builds it)
//   ./cudnn_stem_probe [batch]
#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

void check(cudnnStatus_t s, const char* what) {
  if (s != CUDNN_STATUS_SUCCESS) {
    std::fprintf(stderr, "%s: %s\n", what, cudnnGetErrorString(s));
    std::exit(1);
  }
}
void check(cudaError_t s, const char* what) {
  if (s != cudaSuccess) {
    std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(s));
    std::exit(1);
  }
}

void probe(cudnnHandle_t handle, int n, int c, int hw, int k, int r, int stride, int pad, const char* name) {
  const int out = (hw + 2 * pad - r) / stride + 1;
  cudnnTensorDescriptor_t x, y;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
  check(cudnnCreateTensorDescriptor(&x), "x"), check(cudnnCreateTensorDescriptor(&y), "y");
  check(cudnnCreateFilterDescriptor(&w), "w"), check(cudnnCreateConvolutionDescriptor(&conv), "conv");
  check(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF, n, c, hw, hw), "x");
  check(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF, n, k, out, out), "y");
  check(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_HALF, CUDNN_TENSOR_NHWC, k, c, r, r), "w");
  check(cudnnSetConvolution2dDescriptor(conv, pad, pad, stride, stride, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT), "conv");
  check(cudnnSetConvolutionMathType(conv, CUDNN_TENSOR_OP_MATH), "math");
  void *xd, *yd, *wd, *ws;
  const size_t ws_bytes = size_t{512} << 20;
  check(cudaMalloc(&xd, size_t(n) * c * hw * hw * 2), "x"), check(cudaMalloc(&yd, size_t(n) * k * out * out * 2), "y");
  check(cudaMalloc(&wd, size_t(k) * c * r * r * 2), "w"), check(cudaMalloc(&ws, ws_bytes), "ws");
  check(cudaMemset(xd, 0x3C, size_t(n) * c * hw * hw * 2), "set"), check(cudaMemset(wd, 0x1C, size_t(k) * c * r * r * 2), "set");
  cudnnConvolutionFwdAlgoPerf_t perf[16];
  int found = 0;
  check(cudnnFindConvolutionForwardAlgorithmEx(handle, x, xd, w, wd, conv, y, yd, 16, &found, perf, ws, ws_bytes), "find");
  std::printf("%s: N %d, C %d, %dx%d, K %d, %dx%d stride %d pad %d\n", name, n, c, hw, hw, k, r, r, stride, pad);
  for (int i = 0; i < found; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS)
      std::printf("  algo %d  %.4f ms  workspace %zu  tensor ops %d\n", static_cast<int>(perf[i].algo), perf[i].time,
                  perf[i].memory, perf[i].mathType == CUDNN_TENSOR_OP_MATH);
  for (void* p : {xd, yd, wd, ws}) cudaFree(p);
  cudnnDestroyTensorDescriptor(x), cudnnDestroyTensorDescriptor(y), cudnnDestroyFilterDescriptor(w);
  cudnnDestroyConvolutionDescriptor(conv);
}

}  // namespace

int main(int argc, char** argv) {
  const int batch = argc > 1 ? std::atoi(argv[1]) : 256;
  cudnnHandle_t handle;
  check(cudnnCreate(&handle), "handle");
  for (int c : {3, 4, 8}) probe(handle, batch, c, 224, 64, 7, 2, 3, c == 3 ? "stem, 3 channels" : "stem, padded");
  return 0;
}
