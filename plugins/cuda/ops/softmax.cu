// Softmax and LogSoftmax on float32/float16 (dense row-major), accumulating in float. From opset 13 they
// normalise along `axis` (default -1); before, the input is coerced to 2-D at `axis` (default 1) and each row of
// the flattened trailing dims is normalised. Numerically stable: the row's maximum is subtracted before exp.
//
// Rows that are contiguous (the last axis, or any legacy axis) get a warp (short rows) or a block (long rows);
// a middle axis is walked by one thread per (outer, inner) column, neighbouring threads reading neighbouring
// elements.
#include <cuda_runtime.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/cuda_check.hpp"
#include "common/elementwise_rows.cuh"
#include "common/elementwise_types.cuh"
#include "kiln/plugin.hpp"

namespace kiln::cuda {
namespace {

using namespace elementwise;

// One normalised value from x, the row's maximum and its sum of exp(x - max).
template <bool kLog>
__device__ __forceinline__ float normalised(float x, float max, float sum) {
  if constexpr (kLog) return x - max - logf(sum);
  else return expf(x - max) / sum;
}

template <int kThreads, bool kLog, class T>
__global__ void softmax_rows(const T* x, T* y, int64_t rows, int64_t n) {
  KILN_FOR_EACH_ROW(row, rows) {
    const T* in = x + row * n;
    T* out = y + row * n;
    float max = -INFINITY;
    for (int64_t i = threadIdx.x; i < n; i += kThreads) max = fmaxf(max, to_float(in[i]));
    max = row_allreduce<kThreads>(max, MaxOp{});
    float sum = 0.0f;
    for (int64_t i = threadIdx.x; i < n; i += kThreads) sum += expf(to_float(in[i]) - max);
    sum = row_allreduce<kThreads>(sum, SumOp{});
    for (int64_t i = threadIdx.x; i < n; i += kThreads) out[i] = from_float<T>(normalised<kLog>(to_float(in[i]), max, sum));
  }
}

template <bool kLog, class T>
__global__ void __launch_bounds__(kThreadsPerBlock)
    softmax_columns(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  const int64_t columns = outer * inner;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < columns; c += step) {
    const int64_t o = c / inner;
    const int64_t base = o * n * inner + (c - o * inner);
    float max = -INFINITY;
    for (int64_t k = 0; k < n; ++k) max = fmaxf(max, to_float(x[base + k * inner]));
    float sum = 0.0f;
    for (int64_t k = 0; k < n; ++k) sum += expf(to_float(x[base + k * inner]) - max);
    for (int64_t k = 0; k < n; ++k)
      y[base + k * inner] = from_float<T>(normalised<kLog>(to_float(x[base + k * inner]), max, sum));
  }
}

template <bool kLog>
struct SoftmaxKernel {
  static constexpr const char* kName = kLog ? "LogSoftmax" : "Softmax";
  static KernelSpec spec() {
    KernelSpec s;
    s.name = std::string("kiln.cuda.") + kName;
    s.op_type = kName;
    s.opset_min = 1;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_PRECISION_SENSITIVE;
    s.inputs = {io(kFloatDtypes)};
    s.outputs = {io(kFloatDtypes)};
    return s;
  }
  static std::string check(const Node& node) { return mixed_float_dtypes(node, {0}); }
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (x.has_rank) ctx.set_output(0, x.dtype, x.dims);
    else ctx.set_output_unknown_rank(0, x.dtype);
  }
  explicit SoftmaxKernel(const Node& node) : legacy(node.opset() < 13), axis(node.attr_int("axis", legacy ? 1 : -1)) {}

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    require_dtype(x, y.dtype(), kName, "the input");
    require_dense(x, kName, "the input");
    require_dense(y, kName, "the output");
    if (x.numel() == 0) return;
    const std::vector<int64_t> dims = x.shape();
    const size_t a = static_cast<size_t>(normalize_axis(axis, x.rank(), kName));
    // Rows of n values `inner` apart, outer x inner of them.
    const int64_t outer = span_size(dims, 0, a);
    const int64_t n = legacy ? span_size(dims, a, dims.size()) : dims[a];
    const int64_t inner = legacy ? 1 : span_size(dims, a + 1, dims.size());
    const cudaStream_t stream = stream_of(ctx);
    dispatch_float(x.dtype(), kName, [&](auto tag) {
      using T = decltype(tag);
      const T* in = x.data<const T>();
      T* out = y.data<T>();
      if (inner == 1) {
        launch_rows(outer, n, [&](auto threads, dim3 grid, dim3 block) {
          softmax_rows<decltype(threads)::value, kLog><<<grid, block, 0, stream>>>(in, out, outer, n);
        });
      } else {
        softmax_columns<kLog><<<blocks_for(outer * inner), kThreadsPerBlock, 0, stream>>>(in, out, outer, n, inner);
      }
      KILN_CUDA_LAUNCHED();
    });
  }
  bool legacy;
  int64_t axis;
};

}  // namespace

const kiln_kernel_desc* softmax_kernel() { return describe<SoftmaxKernel<false>>(); }
const kiln_kernel_desc* log_softmax_kernel() { return describe<SoftmaxKernel<true>>(); }

}  // namespace kiln::cuda
