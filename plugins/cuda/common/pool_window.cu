#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "common/cuda_check.hpp"
#include "common/elementwise_types.cuh"
#include "common/pool_window.hpp"
#include "common/quant_math.cuh"

namespace kiln::cuda {

namespace {

// float16 is computed in float: elementwise::to_float / from_float (common/elementwise_types.cuh); int8 and
// uint8 in float too, as integers relative to the zero point (PoolQuant), requantized when stored.
__device__ __forceinline__ float load_tap(float v, const PoolQuant&) { return v; }
__device__ __forceinline__ float load_tap(__half v, const PoolQuant&) { return elementwise::to_float(v); }
__device__ __forceinline__ float load_tap(int8_t v, const PoolQuant& q) { return static_cast<float>(v) - static_cast<float>(q.x_zero); }
__device__ __forceinline__ float load_tap(uint8_t v, const PoolQuant& q) { return static_cast<float>(v) - static_cast<float>(q.x_zero); }

template <class T>
__device__ __forceinline__ T store_result(float r, const PoolQuant& q) {
  if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) return saturate_round<T>((r * q.x_scale) / q.y_scale, q.y_zero);
  else return elementwise::from_float<T>(r);
}

// An average over no taps: 0/0, NaN in the reference, which an integer Y holds as 0 (not its zero point:
// `kiln plugin check` found that on an empty image); a float Y keeps 0 here.
template <class T>
__device__ __forceinline__ float empty_average() {
  if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) return NAN;
  else return 0.0f;
}

struct PoolGeometry {
  int64_t count, n, c, out_h, out_w, in_h, in_w;
  int64_t x_strides[4], y_strides[4];
  bool channels_last;  // Y's memory order is N, H, W, C (else N, C, H, W)
  PoolWindow w;
  PoolQuant q;
};

template <class T, PoolKind kKind>
__global__ void window_pool_kernel(const T* x, T* y, PoolGeometry g) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < g.count; i += step) {
    int64_t n, c, oh, ow, rest = i;
    if (g.channels_last) {
      c = rest % g.c, rest /= g.c;
      ow = rest % g.out_w, rest /= g.out_w;
      oh = rest % g.out_h, n = rest / g.out_h;
    } else {
      ow = rest % g.out_w, rest /= g.out_w;
      oh = rest % g.out_h, rest /= g.out_h;
      c = rest % g.c, n = rest / g.c;
    }
    const T* plane = x + n * g.x_strides[0] + c * g.x_strides[1];
    float acc = kKind == PoolKind::Max ? -INFINITY : 0.0f;
    bool first = true;
    int64_t counted = 0;
    for (int64_t kh = 0; kh < g.w.kernel[0]; ++kh) {
      const int64_t ih = oh * g.w.stride[0] - g.w.pad_begin[0] + kh * g.w.dilation[0];
      const bool row_inside = ih >= 0 && ih < g.in_h;
      const bool row_padded = ih < g.in_h + g.w.pad_end[0];
      for (int64_t kw = 0; kw < g.w.kernel[1]; ++kw) {
        const int64_t iw = ow * g.w.stride[1] - g.w.pad_begin[1] + kw * g.w.dilation[1];
        const bool inside = row_inside && iw >= 0 && iw < g.in_w;
        if (kKind == PoolKind::AverageIncludingPads ? (row_padded && iw < g.in_w + g.w.pad_end[1]) : inside) ++counted;
        if (!inside) continue;
        const float v = load_tap(plane[ih * g.x_strides[2] + iw * g.x_strides[3]], g.q);
        if (kKind == PoolKind::Max) {
          // The reference's rule: the first tap inside, then any greater one (a NaN first stays).
          if (first || v > acc) acc = v;
          first = false;
        } else {
          acc += v;
        }
      }
    }
    if (kKind != PoolKind::Max) acc = counted ? acc / static_cast<float>(counted) : empty_average<T>();
    y[n * g.y_strides[0] + c * g.y_strides[1] + oh * g.y_strides[2] + ow * g.y_strides[3]] = store_result<T>(acc, g.q);
  }
}

// Channels-last fast path: X and Y dense NHWC, each thread kVec neighbouring channels of one output position,
// read and written 16 bytes at a time (the window's taps then cost one wide load each).
template <class T, int kVec>
struct alignas(16) Lanes {
  T v[kVec];
};

// Output position of work item i, in NHWC order with `vectors` groups of channels per pixel.
template <class Index>
struct NhwcPosition {
  Index n, oh, ow, cv;
  __device__ NhwcPosition(Index i, Index vectors, const PoolGeometry& g) {
    cv = i % vectors;
    i /= vectors;
    ow = i % static_cast<Index>(g.out_w);
    i /= static_cast<Index>(g.out_w);
    oh = i % static_cast<Index>(g.out_h);
    n = i / static_cast<Index>(g.out_h);
  }
};

template <class T, PoolKind kKind, int kVec, class Index>
__global__ void window_pool_nhwc_kernel(const T* x, T* y, PoolGeometry g) {
  const Index vectors = static_cast<Index>(g.c / kVec);
  const Index count = static_cast<Index>(g.count / kVec);
  const Index step = static_cast<Index>(gridDim.x) * blockDim.x;
  for (Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += step) {
    const auto [n, oh, ow, cv] = NhwcPosition<Index>(i, vectors, g);
    const T* image = x + n * g.x_strides[0] + cv * kVec;
    float acc[kVec];
    for (int j = 0; j < kVec; ++j) acc[j] = kKind == PoolKind::Max ? -INFINITY : 0.0f;
    bool first = true;
    int counted = 0;
    for (int64_t kh = 0; kh < g.w.kernel[0]; ++kh) {
      const int64_t ih = oh * g.w.stride[0] - g.w.pad_begin[0] + kh * g.w.dilation[0];
      const bool row_inside = ih >= 0 && ih < g.in_h;
      const bool row_padded = ih < g.in_h + g.w.pad_end[0];
      for (int64_t kw = 0; kw < g.w.kernel[1]; ++kw) {
        const int64_t iw = ow * g.w.stride[1] - g.w.pad_begin[1] + kw * g.w.dilation[1];
        const bool inside = row_inside && iw >= 0 && iw < g.in_w;
        if (kKind == PoolKind::AverageIncludingPads ? (row_padded && iw < g.in_w + g.w.pad_end[1]) : inside) ++counted;
        if (!inside) continue;
        const Lanes<T, kVec> v = *reinterpret_cast<const Lanes<T, kVec>*>(image + ih * g.x_strides[2] + iw * g.x_strides[3]);
        for (int j = 0; j < kVec; ++j) {
          const float f = load_tap(v.v[j], g.q);
          if (kKind != PoolKind::Max) acc[j] += f;
          else if (first || f > acc[j]) acc[j] = f;
        }
        first = false;
      }
    }
    Lanes<T, kVec> out;
    for (int j = 0; j < kVec; ++j)
      out.v[j] = store_result<T>(kKind == PoolKind::Max ? acc[j] : counted ? acc[j] / static_cast<float>(counted) : empty_average<T>(), g.q);
    *reinterpret_cast<Lanes<T, kVec>*>(y + n * g.y_strides[0] + oh * g.y_strides[2] + ow * g.y_strides[3] + cv * kVec) = out;
  }
}

// Max pooling of integers that stay on one grid (X's scale and zero point are Y's: MaxPool between INT8 layers),
// dense NHWC: the max of the integers is the answer, so 16 channels are compared per tap with four 4-byte SIMD
// maxima (__vmaxs4 / __vmaxu4) and no conversion. A window with no tap inside gives the type's minimum, as the
// float path's -inf saturates to it.
template <class Q>
__device__ __forceinline__ unsigned max4(unsigned a, unsigned b) {
  if constexpr (std::is_same_v<Q, int8_t>) return __vmaxs4(a, b);
  else return __vmaxu4(a, b);
}

template <class Q>
__device__ __forceinline__ uint4 max16(uint4 a, uint4 b) {
  return make_uint4(max4<Q>(a.x, b.x), max4<Q>(a.y, b.y), max4<Q>(a.z, b.z), max4<Q>(a.w, b.w));
}

template <class Q>
constexpr unsigned lowest4() {
  return std::is_same_v<Q, int8_t> ? 0x80808080u : 0u;
}

// Any window: one output position per thread, each tap one 16-byte load.
template <class Q>
__global__ void same_grid_max_pool_nhwc_kernel(const Q* x, Q* y, PoolGeometry g) {
  constexpr unsigned kLowest = lowest4<Q>();
  const int32_t vectors = static_cast<int32_t>(g.c / 16);
  const int32_t count = static_cast<int32_t>(g.count / 16);
  const int32_t step = static_cast<int32_t>(gridDim.x) * blockDim.x;
  for (int32_t i = static_cast<int32_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += step) {
    const auto [n, oh, ow, cv] = NhwcPosition<int32_t>(i, vectors, g);
    const Q* image = x + n * g.x_strides[0] + cv * 16;
    uint4 acc = make_uint4(kLowest, kLowest, kLowest, kLowest);
    for (int64_t kh = 0; kh < g.w.kernel[0]; ++kh) {
      const int64_t ih = oh * g.w.stride[0] - g.w.pad_begin[0] + kh * g.w.dilation[0];
      if (ih < 0 || ih >= g.in_h) continue;
      for (int64_t kw = 0; kw < g.w.kernel[1]; ++kw) {
        const int64_t iw = ow * g.w.stride[1] - g.w.pad_begin[1] + kw * g.w.dilation[1];
        if (iw < 0 || iw >= g.in_w) continue;
        acc = max16<Q>(acc, *reinterpret_cast<const uint4*>(image + ih * g.x_strides[2] + iw * g.x_strides[3]));
      }
    }
    *reinterpret_cast<uint4*>(y + n * g.y_strides[0] + oh * g.y_strides[2] + ow * g.y_strides[3] + cv * 16) = acc;
  }
}

// The common windows (kK wide, stride kS, no dilation: 3x3/1, 3x3/2, 2x2/2), kRun neighbouring outputs of a row
// per thread: each input row's kCols columns are loaded once and shared by the run's overlapping windows (a 3x3/1
// window reads 6 columns for 4 outputs instead of 12; 3x3/2, 9 instead of 12), and the arithmetic is 32-bit. A
// column outside X reads as the type's lowest, which no max keeps.
template <class Q, int kK, int kS, int kRun>
__global__ void same_grid_max_pool_run_kernel(const Q* x, Q* y, PoolGeometry g) {
  constexpr unsigned kLowest = lowest4<Q>();
  constexpr int kCols = (kRun - 1) * kS + kK;
  const int32_t vectors = static_cast<int32_t>(g.c / 16), runs = static_cast<int32_t>((g.out_w + kRun - 1) / kRun);
  const int32_t count = vectors * runs * static_cast<int32_t>(g.out_h * g.n);
  const int32_t in_h = static_cast<int32_t>(g.in_h), in_w = static_cast<int32_t>(g.in_w), out_w = static_cast<int32_t>(g.out_w);
  const int32_t row_stride = static_cast<int32_t>(g.x_strides[2]), pixel_stride = static_cast<int32_t>(g.x_strides[3]);
  const int32_t step = static_cast<int32_t>(gridDim.x) * blockDim.x;
  for (int32_t i = static_cast<int32_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += step) {
    int32_t rest = i;
    const int32_t cv = rest % vectors;
    rest /= vectors;
    const int32_t ow0 = (rest % runs) * kRun;
    rest /= runs;
    const int32_t oh = rest % static_cast<int32_t>(g.out_h), n = rest / static_cast<int32_t>(g.out_h);
    const Q* image = x + n * static_cast<int32_t>(g.x_strides[0]) + cv * 16;
    const int32_t iw0 = ow0 * kS - static_cast<int32_t>(g.w.pad_begin[1]);
    uint4 acc[kRun];
    for (int r = 0; r < kRun; ++r) acc[r] = make_uint4(kLowest, kLowest, kLowest, kLowest);
    for (int32_t kh = 0; kh < static_cast<int32_t>(g.w.kernel[0]); ++kh) {
      const int32_t ih = oh * static_cast<int32_t>(g.w.stride[0]) - static_cast<int32_t>(g.w.pad_begin[0]) + kh;
      if (ih < 0 || ih >= in_h) continue;
      const Q* row = image + ih * row_stride;
      uint4 cols[kCols];
#pragma unroll
      for (int c = 0; c < kCols; ++c) {
        const int32_t iw = iw0 + c;
        cols[c] = iw >= 0 && iw < in_w ? *reinterpret_cast<const uint4*>(row + iw * pixel_stride)
                                       : make_uint4(kLowest, kLowest, kLowest, kLowest);
      }
#pragma unroll
      for (int r = 0; r < kRun; ++r)
#pragma unroll
        for (int k = 0; k < kK; ++k) acc[r] = max16<Q>(acc[r], cols[r * kS + k]);
    }
    Q* out = y + n * g.y_strides[0] + oh * g.y_strides[2] + cv * 16;
#pragma unroll
    for (int r = 0; r < kRun; ++r)
      if (ow0 + r < out_w) *reinterpret_cast<uint4*>(out + (ow0 + r) * g.y_strides[3]) = acc[r];
  }
}

template <class Q, int kK, int kS>
bool launch_same_grid_run(const Q* x, Q* y, const PoolGeometry& g, cudaStream_t stream) {
  constexpr int kRun = 4, kThreads = 256;
  if (g.w.kernel[1] != kK || g.w.stride[1] != kS || g.w.dilation[0] != 1 || g.w.dilation[1] != 1) return false;
  const int64_t work = g.c / 16 * ((g.out_w + kRun - 1) / kRun) * g.out_h * g.n;
  const auto blocks = static_cast<unsigned>(std::min<int64_t>((work + kThreads - 1) / kThreads, int64_t{1} << 20));
  same_grid_max_pool_run_kernel<Q, kK, kS, kRun><<<blocks, kThreads, 0, stream>>>(x, y, g);
  return true;
}

template <class Q>
void launch_same_grid_max(const Q* x, Q* y, const PoolGeometry& g, cudaStream_t stream) {
  if (launch_same_grid_run<Q, 3, 1>(x, y, g, stream) || launch_same_grid_run<Q, 3, 2>(x, y, g, stream) ||
      launch_same_grid_run<Q, 2, 2>(x, y, g, stream))
    return;
  constexpr int kThreads = 256;
  const int64_t work = g.count / 16;
  const auto blocks = static_cast<unsigned>(std::min<int64_t>((work + kThreads - 1) / kThreads, int64_t{1} << 20));
  same_grid_max_pool_nhwc_kernel<Q><<<blocks, kThreads, 0, stream>>>(x, y, g);
}

// Whether the integer max path above runs: integers on one grid, dense NHWC, 16-byte channel rows, 32-bit indices.
template <class T, PoolKind kKind>
bool same_grid_max(const PoolLaunch& l, const PoolGeometry& g) {
  if constexpr (kKind != PoolKind::Max || !(std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>)) {
    return false;
  } else {
    const bool aligned = reinterpret_cast<uintptr_t>(l.x) % 16 == 0 && reinterpret_cast<uintptr_t>(l.y) % 16 == 0;
    return g.q.x_scale == g.q.y_scale && g.q.x_zero == g.q.y_zero && aligned && g.c % 16 == 0 &&
           l.x_dims.is(KILN_LAYOUT_NHWC) && l.y_dims.is(KILN_LAYOUT_NHWC) && l.x_dims.count() < (int64_t{1} << 31) &&
           g.count < (int64_t{1} << 31);
  }
}

template <class T, PoolKind kKind>
void launch_kind(const PoolLaunch& l, const PoolGeometry& g, cudaStream_t stream) {
  constexpr int kThreads = 256, kVec = 16 / sizeof(T);
  const T* x = static_cast<const T*>(l.x);
  T* y = static_cast<T*>(l.y);
  const bool aligned = reinterpret_cast<uintptr_t>(x) % 16 == 0 && reinterpret_cast<uintptr_t>(y) % 16 == 0;
  if (same_grid_max<T, kKind>(l, g)) {
    if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) launch_same_grid_max<T>(x, y, g, stream);
  } else if (aligned && g.c % kVec == 0 && l.x_dims.is(KILN_LAYOUT_NHWC) && l.y_dims.is(KILN_LAYOUT_NHWC)) {
    const int64_t work = g.count / kVec;
    const auto blocks = static_cast<unsigned>(std::min<int64_t>((work + kThreads - 1) / kThreads, int64_t{1} << 20));
    if (work < (int64_t{1} << 31)) window_pool_nhwc_kernel<T, kKind, kVec, int32_t><<<blocks, kThreads, 0, stream>>>(x, y, g);
    else window_pool_nhwc_kernel<T, kKind, kVec, int64_t><<<blocks, kThreads, 0, stream>>>(x, y, g);
  } else {
    const auto blocks = static_cast<unsigned>(std::min<int64_t>((g.count + kThreads - 1) / kThreads, int64_t{1} << 20));
    window_pool_kernel<T, kKind><<<blocks, kThreads, 0, stream>>>(x, y, g);
  }
  KILN_CUDA_LAUNCHED();
}

template <class T>
void launch_typed(const PoolLaunch& l, const PoolGeometry& g, cudaStream_t stream) {
  switch (l.kind) {
    case PoolKind::Max: return launch_kind<T, PoolKind::Max>(l, g, stream);
    case PoolKind::AverageIncludingPads: return launch_kind<T, PoolKind::AverageIncludingPads>(l, g, stream);
    case PoolKind::AverageExcludingPads: return launch_kind<T, PoolKind::AverageExcludingPads>(l, g, stream);
  }
}

}  // namespace

void launch_window_pool(const PoolLaunch& l, cudaStream_t stream) {
  PoolGeometry g{};
  g.count = l.y_dims.count();
  if (g.count == 0) return;
  g.n = l.y_dims.dims[0], g.c = l.y_dims.dims[1], g.out_h = l.y_dims.dims[2], g.out_w = l.y_dims.dims[3];
  g.in_h = l.x_dims.dims[2], g.in_w = l.x_dims.dims[3];
  for (int i = 0; i < 4; ++i) g.x_strides[i] = l.x_dims.strides[i], g.y_strides[i] = l.y_dims.strides[i];
  g.channels_last = l.y_dims.strides[1] < l.y_dims.strides[3] || l.y_dims.is(KILN_LAYOUT_NHWC);
  g.w = l.window;
  g.q = l.quant;
  switch (l.dtype) {
    case KILN_DTYPE_FLOAT16: return launch_typed<__half>(l, g, stream);
    case KILN_DTYPE_INT8: return launch_typed<int8_t>(l, g, stream);
    case KILN_DTYPE_UINT8: return launch_typed<uint8_t>(l, g, stream);
    default: return launch_typed<float>(l, g, stream);
  }
}

}  // namespace kiln::cuda
