// Resampling for Resize and Upsample: nearest (any rank, any dtype: bytes move) and linear (float dtypes, at
// most two resized axes: bilinear over H and W being the case that matters), separable per axis.
//
// Per axis, output coordinate x maps to x_original by the coordinate transformation mode; with
// fl = ceil(x_original) - 1 and r = x_original - fl in (0, 1], nearest takes fl or fl + 1 by the rounding mode,
// linear takes fl and fl + 1 with weights 1 - r and r; indices outside the input clamp to its edge. This is the
// CPU reference's arithmetic (plugins/cpu_reference/common/resample.hpp, after onnx/reference op_resize.py),
// done in double with explicitly rounded operations (never contracted into FMAs), so nearest picks exactly
// the reference's pixels, ties included. Linear accumulates in float (double for float64 data).
#ifndef KILN_CUDA_MOVEMENT_RESAMPLE_CUH
#define KILN_CUDA_MOVEMENT_RESAMPLE_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "common/movement_index.cuh"

namespace kiln::cuda::movement {

enum class Coordinate : int { HalfPixel, Asymmetric, AlignCorners, PytorchHalfPixel };
// "Simple" is Resize-10's and Upsample's: floor when upsampling, ceil when downsampling (as onnxruntime does).
enum class NearestRounding : int { RoundPreferFloor, RoundPreferCeil, Floor, Ceil, Simple };

// Double arithmetic rounded once per operation on host and device alike.
__host__ __device__ inline double add_rn(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
__host__ __device__ inline double sub_rn(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dsub_rn(a, b);
#else
  return a - b;
#endif
}
__host__ __device__ inline double mul_rn(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
__host__ __device__ inline double div_rn(double a, double b) {
#ifdef __CUDA_ARCH__
  return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}

// How one axis is resized: input and output extents, the scale (output / input) and the resized length as a
// real number (scale * input, or the output extent when sizes were given).
struct AxisResize {
  int64_t in = 0, out = 0;
  double scale = 1, length = 0;
  // Output index x reads input index x: the reference's arithmetic gives exactly that for every mode here.
  bool identity() const { return scale == 1.0 && out == in; }
};

// Output coordinate x of an axis in input coordinates.
__host__ __device__ inline double source_coordinate(Coordinate mode, double x, double in, double scale, double length) {
  switch (mode) {
    case Coordinate::Asymmetric: return div_rn(x, scale);
    case Coordinate::AlignCorners: return length == 1 ? 0.0 : div_rn(mul_rn(x, sub_rn(in, 1)), sub_rn(length, 1));
    case Coordinate::PytorchHalfPixel: return length > 1 ? sub_rn(div_rn(add_rn(x, 0.5), scale), 0.5) : 0.0;
    case Coordinate::HalfPixel: break;
  }
  return sub_rn(div_rn(add_rn(x, 0.5), scale), 0.5);
}

// fl = ceil(xo) - 1 and r = xo - fl, in (0, 1] (an integer xo takes the pixel on its left as the base).
__host__ __device__ inline void split_coordinate(double xo, int64_t& fl, double& r) {
  fl = static_cast<int64_t>(ceil(xo)) - 1;
  r = sub_rn(xo, static_cast<double>(fl));
}

__host__ __device__ inline int64_t clamp_index(int64_t i, int64_t n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

// The input index nearest to fl + r by the rounding mode, clamped into [0, n).
__host__ __device__ inline int64_t nearest_index(NearestRounding rounding, int64_t fl, double r, double scale,
                                                 int64_t n) {
  int64_t i = fl + 1;  // r == 1: xo is an integer
  if (r != 1) {
    switch (rounding) {
      case NearestRounding::RoundPreferFloor: i = r <= 0.5 ? fl : fl + 1; break;
      case NearestRounding::RoundPreferCeil: i = r < 0.5 ? fl : fl + 1; break;
      case NearestRounding::Floor: i = fl; break;
      case NearestRounding::Ceil: i = fl + 1; break;
      case NearestRounding::Simple: i = scale < 1 ? fl + 1 : fl; break;
    }
  }
  return clamp_index(i, n);
}

// Per-axis arguments of a resampling kernel; axes past `space.rank` are unused.
template <class Index>
struct ResampleParams {
  IndexSpace<Index> space;  // the output's dims
  int64_t in_dims[kMaxMovementRank];
  double scales[kMaxMovementRank];
  double lengths[kMaxMovementRank];
  int identity[kMaxMovementRank];  // 1: the axis is not resized
  Index in_strides[kMaxMovementRank];
  Index out_strides[kMaxMovementRank];
  Coordinate coordinate;
  NearestRounding rounding;
  int linear_a, linear_b;  // linear: the (at most two) resized axes, -1 when fewer
  Index total;
};

template <class Index>
__host__ __device__ inline double axis_coordinate(const ResampleParams<Index>& p, int d, Index c) {
  return source_coordinate(p.coordinate, static_cast<double>(c), static_cast<double>(p.in_dims[d]), p.scales[d],
                           p.lengths[d]);
}

template <class T, class Index>
__host__ __device__ inline void nearest_element(const T* in, T* out, const ResampleParams<Index>& p, Index i) {
  Index c[kMaxMovementRank] = {};
  p.space.coords(i, c);
  Index from = 0;
  KILN_MOVEMENT_UNROLL
  for (int d = 0; d < kMaxMovementRank; ++d) {
    if (d < p.space.rank) {
      Index src = c[d];
      if (!p.identity[d]) {
        int64_t fl;
        double r;
        split_coordinate(axis_coordinate(p, d, c[d]), fl, r);
        src = static_cast<Index>(nearest_index(p.rounding, fl, r, p.scales[d], p.in_dims[d]));
      }
      from += src * p.in_strides[d];
    }
  }
  out[dot(c, p.out_strides, p.space.rank)] = in[from];
}

template <class T, class Index>
__global__ void nearest_kernel(const T* __restrict__ in, T* __restrict__ out, ResampleParams<Index> p) {
  for (Index i = grid_start<Index>(); i < p.total; i += grid_stride<Index>()) nearest_element(in, out, p, i);
}

// Linear: the type an element type is summed in (float, double for float64), and conversions to and from it.
template <class T>
struct LinearSum {
  using type = float;
};
template <>
struct LinearSum<double> {
  using type = double;
};
__host__ __device__ inline float widen_value(float v) { return v; }
__host__ __device__ inline double widen_value(double v) { return v; }
__device__ inline float widen_value(__half v) { return __half2float(v); }
__device__ inline float widen_value(__nv_bfloat16 v) { return __bfloat162float(v); }
__host__ __device__ inline void store_value(float v, float& out) { out = v; }
__host__ __device__ inline void store_value(double v, double& out) { out = v; }
__device__ inline void store_value(float v, __half& out) { out = __float2half_rn(v); }
__device__ inline void store_value(float v, __nv_bfloat16& out) { out = __float2bfloat16_rn(v); }

// The taps of one axis: input offsets along it and weights. A resized axis has two (a tap of weight 0 is
// skipped, as the reference skips it, so that 0 * inf never enters the sum); an axis left alone has one.
struct Taps {
  int64_t offset[2];
  double weight[2];
};

template <class Index>
__host__ __device__ inline Taps linear_taps(const ResampleParams<Index>& p, int d, Index c) {
  int64_t fl;
  double r;
  split_coordinate(axis_coordinate(p, d, c), fl, r);
  const int64_t n = p.in_dims[d];
  const int64_t stride = static_cast<int64_t>(p.in_strides[d]);
  return Taps{{clamp_index(fl, n) * stride, clamp_index(fl + 1, n) * stride}, {sub_rn(1.0, r), r}};
}

template <class T, class Index>
__host__ __device__ inline void linear_element(const T* in, T* out, const ResampleParams<Index>& p, Index i) {
  using Sum = typename LinearSum<T>::type;
  Index c[kMaxMovementRank] = {};
  p.space.coords(i, c);
  Index base = 0;  // the offset along the axes left alone
  Taps a{{0, 0}, {1.0, 0.0}}, b{{0, 0}, {1.0, 0.0}};
  KILN_MOVEMENT_UNROLL
  for (int d = 0; d < kMaxMovementRank; ++d) {  // unrolled: every d below is a constant
    if (d >= p.space.rank) continue;
    if (d == p.linear_a) a = linear_taps(p, d, c[d]);
    else if (d == p.linear_b) b = linear_taps(p, d, c[d]);
    else base += c[d] * p.in_strides[d];
  }
  Sum sum = 0;
  for (int j = 0; j < 2; ++j) {
    if (a.weight[j] == 0) continue;
    for (int k = 0; k < 2; ++k) {
      if (b.weight[k] == 0) continue;
      const Index at = base + static_cast<Index>(a.offset[j] + b.offset[k]);
      sum += static_cast<Sum>(mul_rn(a.weight[j], b.weight[k])) * widen_value(in[at]);
    }
  }
  store_value(sum, out[dot(c, p.out_strides, p.space.rank)]);
}

template <class T, class Index>
__global__ void linear_kernel(const T* __restrict__ in, T* __restrict__ out, ResampleParams<Index> p) {
  for (Index i = grid_start<Index>(); i < p.total; i += grid_stride<Index>()) linear_element(in, out, p, i);
}

}  // namespace kiln::cuda::movement

#endif  // KILN_CUDA_MOVEMENT_RESAMPLE_CUH
