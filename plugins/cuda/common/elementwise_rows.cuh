// Row reductions for Softmax, LayerNormalization and the Reduce ops. A row of n values is reduced by one warp
// when it is short (several rows per block) or by one block when it is long, always accumulating in float; every
// thread of the row gets the result, so the row can then be rewritten with it.
#ifndef KILN_CUDA_ELEMENTWISE_ROWS_CUH
#define KILN_CUDA_ELEMENTWISE_ROWS_CUH

#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "common/elementwise_types.cuh"
#include "kiln/plugin.hpp"

namespace kiln::cuda::elementwise {

constexpr int kWarp = 32;
constexpr int kLongRowThreads = 256;                            // one block per long row
constexpr int kShortRowsPerBlock = kThreadsPerBlock / kWarp;   // one warp per short row
constexpr int64_t kShortRow = 1024;                             // up to 32 values per lane

struct SumOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return a + b; }
};
// The larger; NaN is skipped (softmax then turns the row to NaN through exp anyway).
struct MaxOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

template <class Combine>
__device__ __forceinline__ float warp_allreduce(float v, Combine combine) {
#pragma unroll
  for (int lane_mask = kWarp / 2; lane_mask > 0; lane_mask /= 2)
    v = combine(v, __shfl_xor_sync(0xffffffffu, v, lane_mask));
  return v;
}

// Combines v over the kThreads threads of one row (threadIdx.x in [0, kThreads)); all of them get the result.
// With a block per row every thread of the block must call it, the same number of times.
template <int kThreads, class Combine>
__device__ __forceinline__ float row_allreduce(float v, Combine combine) {
  v = warp_allreduce(v, combine);
  if constexpr (kThreads > kWarp) {
    __shared__ float partial[kThreads / kWarp];
    if (threadIdx.x % kWarp == 0) partial[threadIdx.x / kWarp] = v;
    __syncthreads();
    v = partial[0];
#pragma unroll
    for (int w = 1; w < kThreads / kWarp; ++w) v = combine(v, partial[w]);
    __syncthreads();  // the next reduction writes `partial` again
  }
  return v;
}

// The rows a thread's row group handles: blockDim.y rows per block (1 for long rows), grid-stride.
#define KILN_FOR_EACH_ROW(row, rows)                                                                     \
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; row < (rows); \
       row += static_cast<int64_t>(gridDim.x) * blockDim.y)

// Calls launch(threads_constant, grid, block) with the shape for `rows` rows of `n` values: one warp per row
// (kShortRowsPerBlock per block) up to kShortRow values, else one block of kLongRowThreads per row.
template <class Launch>
void launch_rows(int64_t rows, int64_t n, Launch&& launch) {
  if (rows <= 0) return;
  if (n <= kShortRow)
    launch(std::integral_constant<int, kWarp>{}, dim3(blocks_for(rows, kShortRowsPerBlock)), dim3(kWarp, kShortRowsPerBlock));
  else
    launch(std::integral_constant<int, kLongRowThreads>{}, dim3(blocks_for(rows, 1)), dim3(kLongRowThreads, 1));
}

// Whether `t` is stored dense row-major: no strides, or strides equal to the dense ones wherever a dim exceeds 1.
inline bool dense_row_major(const Tensor& t) {
  if (!t.strides()) return true;
  int64_t expected = 1;
  for (int d = t.rank(); d-- > 0;) {
    if (t.dim(d) != 1 && t.strides()[d] != expected) return false;
    expected *= t.dim(d);
  }
  return true;
}

inline void require_dense(const Tensor& t, const std::string& op, const char* what) {
  if (!dense_row_major(t)) fail_invalid(op + ": " + what + " must be dense row-major (LINEAR) on CUDA");
}

// Product of dims[begin, end).
inline int64_t span_size(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end && i < dims.size(); ++i) n *= dims[i];
  return n;
}

// Maps a possibly negative axis into [0, rank); fails naming the op when out of range.
inline int normalize_axis(int64_t axis, int rank, const std::string& op) {
  if (axis < -rank || axis >= rank)
    fail_invalid(op + ": axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

}  // namespace kiln::cuda::elementwise

#endif  // KILN_CUDA_ELEMENTWISE_ROWS_CUH
