// kiln's own INT8 convolution kernel (plugins/cuda/common/conv_int8_imma.cu) on ResNet-50's layer shapes at batch
// 256, every tile shape, against a device-to-device copy of as many bytes as the layer moves: how close each layer
// comes to the memory's bandwidth, and (for the long reductions) the tensor cores' rate. The engine times the same
// kernel against cuDNN per layer (`kiln inspect` notes); this isolates the kernel for work on it.
//
//   nvcc -O3 -std=c++17 -arch=sm_90 -Iplugins/cuda -Iplugin_sdk/include benchmarks/gpu/conv_int8_imma_bench.cu \
//        plugins/cuda/common/conv_int8_imma.cu -o conv_int8_imma_bench        (scripts/gpu-check builds it)
//   ./conv_int8_imma_bench [batch [layer tile]]   (one layer and tile: for a profiler such as ncu)
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/conv_int8_imma.hpp"

namespace {

using kiln::cuda::ConvInt8ImmaArgs;
using kiln::cuda::ConvInt8ImmaShape;

struct Layer {
  const char* name;
  int64_t hw, c, k, r, stride, pad;
  bool residual;
  int64_t out = 0;  // the output's size when not the window's arithmetic (a space-to-depth layer: padding after less than before)
};

ConvInt8ImmaShape shape_of(const Layer& l, int64_t batch) {
  ConvInt8ImmaShape s;
  s.n = batch, s.h = s.w = l.hw, s.c = l.c, s.k = l.k, s.r = s.s = l.r;
  s.stride[0] = s.stride[1] = l.stride, s.pad[0] = s.pad[1] = l.pad;
  s.oh = s.ow = l.out ? l.out : (l.hw + 2 * l.pad - l.r) / l.stride + 1;
  return s;
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(e));
    std::exit(1);
  }
}

// Median milliseconds of `run` over 20 timed calls after 3 warm-up calls.
template <class F>
double median_ms(F run) {
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "event"), check(cudaEventCreate(&stop), "event");
  std::vector<float> ms;
  for (int i = 0; i < 23; ++i) {
    check(cudaEventRecord(start), "record");
    run();
    check(cudaEventRecord(stop), "record");
    check(cudaEventSynchronize(stop), "sync");
    float t = 0;
    check(cudaEventElapsedTime(&t, start, stop), "elapsed");
    if (i >= 3) ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t batch = argc > 1 ? std::atoll(argv[1]) : 256;
  const int only_layer = argc > 3 ? std::atoi(argv[2]) : -1, only_tile = argc > 3 ? std::atoi(argv[3]) : -1;
  const Layer layers[] = {
      {"stem 7x7/2 3->64 as 4x4/1 16->64", 112, 16, 64, 4, 1, 2, false, 112},  // space-to-depth packed
      {"layer1 conv1 1x1 64->64", 56, 64, 64, 1, 1, 0, false},
      {"layer1 conv2 3x3 64->64", 56, 64, 64, 3, 1, 1, false},
      {"layer1 conv3 1x1 64->256", 56, 64, 256, 1, 1, 0, false},
      {"layer1 conv3 1x1 64->256 +res", 56, 64, 256, 1, 1, 0, true},
      {"layer2 conv1 1x1 512->128", 28, 512, 128, 1, 1, 0, false},
      {"layer2 conv3 1x1 128->512 +res", 28, 128, 512, 1, 1, 0, true},
      {"layer3 conv3 1x1 256->1024 +res", 14, 256, 1024, 1, 1, 0, true},
      {"layer4 conv1 1x1 2048->512", 7, 2048, 512, 1, 1, 0, false},
      {"layer4 conv2 3x3 512->512", 7, 512, 512, 3, 1, 1, false},
  };
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, 0), "properties");
  std::printf("kiln int8 implicit GEMM, batch %lld, %s\n", static_cast<long long>(batch), prop.name);
  std::printf("%-34s %-8s %9s %9s %8s %9s\n", "layer", "tile", "ms", "GB/s", "TOPS", "copy ms");
  int index = -1;
  for (const Layer& l : layers) {
    if (++index != only_layer && only_layer >= 0) continue;
    const ConvInt8ImmaShape s = shape_of(l, batch);
    const size_t x_bytes = static_cast<size_t>(s.n * s.h * s.w * s.c), w_bytes = static_cast<size_t>(s.k * s.r * s.s * s.c);
    const size_t y_bytes = static_cast<size_t>(s.n * s.oh * s.ow * s.k);
    void *x, *w, *y, *z, *scale, *bias;
    check(cudaMalloc(&x, x_bytes), "x"), check(cudaMalloc(&w, w_bytes), "w"), check(cudaMalloc(&y, y_bytes), "y");
    check(cudaMalloc(&z, y_bytes), "z"), check(cudaMalloc(&scale, s.k * 4), "scale"), check(cudaMalloc(&bias, s.k * 4), "bias");
    check(cudaMemset(x, 0x11, x_bytes), "set"), check(cudaMemset(w, 0x03, w_bytes), "set"), check(cudaMemset(z, 0x05, y_bytes), "set");
    check(cudaMemset(scale, 0, s.k * 4), "set"), check(cudaMemset(bias, 0, s.k * 4), "set");
    ConvInt8ImmaArgs a;
    a.shape = s;
    a.x = static_cast<const int8_t*>(x), a.w = static_cast<const int8_t*>(w), a.y = static_cast<int8_t*>(y);
    a.z = l.residual ? static_cast<const int8_t*>(z) : nullptr, a.z_alpha = 0.5f, a.lo = 0;
    a.scale = static_cast<const float*>(scale), a.bias = static_cast<const float*>(bias);
    const size_t moved = x_bytes + w_bytes + y_bytes * (l.residual ? 2 : 1);
    const double ops = 2.0 * static_cast<double>(y_bytes) * static_cast<double>(s.r * s.s * s.c);
    // The baseline: a device-to-device copy reading and writing as many bytes in all as the layer moves.
    void *copy_from, *copy_to;
    check(cudaMalloc(&copy_from, moved / 2), "copy"), check(cudaMalloc(&copy_to, moved / 2), "copy");
    const double copy_ms = median_ms([&] { check(cudaMemcpyAsync(copy_to, copy_from, moved / 2, cudaMemcpyDeviceToDevice), "copy"); });
    for (int tile = 0; tile < kiln::cuda::conv_int8_imma_tiles(); ++tile) {
      if (only_tile >= 0 && tile != only_tile) continue;
      const double ms = median_ms([&] { kiln::cuda::launch_conv_int8_imma(a, tile, nullptr); });
      std::printf("%-34s %-8s %9.4f %9.0f %8.1f %9.4f\n", l.name, kiln::cuda::conv_int8_imma_tile_name(tile).c_str(), ms,
                  static_cast<double>(moved) / ms / 1e6, ops / ms / 1e9, copy_ms);
    }
    for (void* p : {x, w, y, z, scale, bias, copy_from, copy_to}) cudaFree(p);
  }
  return 0;
}
