// ReduceSum, ReduceMean and ReduceMax on float32/float16 (dense row-major), accumulating in float, over axes
// known when the kernel is created: the `axes` attribute until the op moved them to an input (ReduceSum at
// opset 13, the others at 18), a constant input after. Empty axes reduce everything unless
// noop_with_empty_axes, which copies. Reducing an empty set gives the op's identity (0; NaN for the mean of
// nothing; -inf for max), as in the reference pack; ReduceMax propagates NaN.
//
// The input's dims are merged into alternating runs of kept and reduced dims. When the reduced ones are one run
// at the end, each output is a contiguous row, reduced by a warp or a block (common/elementwise_rows.cuh);
// otherwise one thread per output walks its elements, neighbouring threads reading neighbouring kept elements.
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

// Each op: its name, the opset that moved axes to an input, and init / step (also how partial results combine)
// / finish.
struct ReduceSum {
  static constexpr const char* kName = "ReduceSum";
  static constexpr int kAxesInputSince = 13;
  __device__ static float init() { return 0.0f; }
  __device__ float operator()(float acc, float v) const { return acc + v; }
  __device__ static float finish(float acc, int64_t) { return acc; }
};
struct ReduceMean {
  static constexpr const char* kName = "ReduceMean";
  static constexpr int kAxesInputSince = 18;
  __device__ static float init() { return 0.0f; }
  __device__ float operator()(float acc, float v) const { return acc + v; }
  __device__ static float finish(float acc, int64_t count) { return acc / static_cast<float>(count); }  // 0/0 is NaN
};
struct ReduceMax {
  static constexpr const char* kName = "ReduceMax";
  static constexpr int kAxesInputSince = 18;
  __device__ static float init() { return -INFINITY; }
  __device__ float operator()(float acc, float v) const { return (v > acc || v != v) ? v : acc; }
  __device__ static float finish(float acc, int64_t) { return acc; }
};

template <int kThreads, class Op, class T>
__global__ void reduce_rows(const T* x, T* y, int64_t rows, int64_t n) {
  KILN_FOR_EACH_ROW(row, rows) {
    const T* in = x + row * n;
    float acc = Op::init();
    for (int64_t i = threadIdx.x; i < n; i += kThreads) acc = Op{}(acc, to_float(in[i]));
    acc = row_allreduce<kThreads>(acc, Op{});
    if (threadIdx.x == 0) y[row] = from_float<T>(Op::finish(acc, n));
  }
}

// Kept and reduced runs of dims, innermost first, with their input strides. The output is dense over the kept
// dims in order.
struct ReduceGeometry {
  int kept_rank = 0, reduced_rank = 0;
  int64_t kept_dims[kMaxRank] = {}, kept_strides[kMaxRank] = {};
  int64_t reduced_dims[kMaxRank] = {}, reduced_strides[kMaxRank] = {};
  int64_t outputs = 0, count = 0;  // output elements; input elements per output
};

template <class Op, class T>
__global__ void __launch_bounds__(kThreadsPerBlock) reduce_general(const T* x, T* y, ReduceGeometry g) {
  // The innermost reduced run is a plain loop; the outer reduced runs advance an odometer between its passes.
  const int64_t inner_n = g.reduced_rank ? g.reduced_dims[0] : 1;
  const int64_t inner_stride = g.reduced_rank ? g.reduced_strides[0] : 0;
  const int64_t passes = inner_n ? g.count / inner_n : 0;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < g.outputs; o += step) {
    int64_t rest = o, offset = 0;
    for (int d = 0; d < g.kept_rank; ++d) {
      const int64_t q = rest / g.kept_dims[d];
      offset += (rest - q * g.kept_dims[d]) * g.kept_strides[d];
      rest = q;
    }
    int64_t counter[kMaxRank] = {};
    float acc = Op::init();
    for (int64_t pass = 0; pass < passes; ++pass) {
      for (int64_t k = 0; k < inner_n; ++k) acc = Op{}(acc, to_float(x[offset + k * inner_stride]));
      for (int d = 1; d < g.reduced_rank; ++d) {
        offset += g.reduced_strides[d];
        if (++counter[d] < g.reduced_dims[d]) break;
        offset -= g.reduced_strides[d] * g.reduced_dims[d];
        counter[d] = 0;
      }
    }
    y[o] = from_float<T>(Op::finish(acc, g.count));
  }
}

template <class Op>
struct ReduceKernel {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = std::string("kiln.cuda.") + Op::kName;
    s.op_type = Op::kName;
    s.opset_min = 1;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_PRECISION_SENSITIVE;
    s.inputs = {io(kFloatDtypes), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL)};
    s.outputs = {io(kFloatDtypes)};
    return s;
  }
  static bool axes_from_input(const Node& node) { return node.opset() >= Op::kAxesInputSince; }
  static std::string check(const Node& node) {
    if (axes_from_input(node) && node.has_input(1) && !node.input(1).data)
      return std::string(Op::kName) + "'s axes are not a constant (the CUDA kernel needs them when created)";
    if (std::string why = mixed_float_dtypes(node, {0}); !why.empty()) return why;
    return rank_too_high(node, 0);
  }
  // The axes as the node gives them (empty: all, or none with noop_with_empty_axes).
  static std::vector<int64_t> node_axes(const Node& node) {
    if (!axes_from_input(node)) return node.attr_ints("axes", {});
    if (!node.has_input(1)) return {};
    return node.input(1).int_values();
  }
  // Which of `rank` dims are reduced.
  std::vector<bool> reduced_dims(int rank) const {
    std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty() && !noop_when_empty);
    for (int64_t a : axes) reduced[static_cast<size_t>(normalize_axis(a, rank, Op::kName))] = true;
    return reduced;
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    const ReduceKernel k(node);
    const std::vector<bool> reduced = k.reduced_dims(x.rank());
    std::vector<int64_t> out;
    for (size_t i = 0; i < x.dims.size(); ++i) {
      if (!reduced[i]) out.push_back(x.dims[i]);
      else if (k.keepdims) out.push_back(1);
    }
    ctx.set_output(0, x.dtype, out);
  }

  explicit ReduceKernel(const Node& node)
      : axes(node_axes(node)),
        keepdims(node.attr_int("keepdims", 1) != 0),
        noop_when_empty(node.attr_int("noop_with_empty_axes", 0) != 0) {}

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    require_dtype(x, y.dtype(), Op::kName, "the input");
    require_dense(x, Op::kName, "the input");
    require_dense(y, Op::kName, "the output");
    if (y.numel() == 0) return;
    const cudaStream_t stream = stream_of(ctx);
    if (axes.empty() && noop_when_empty) {
      if (x.raw() != y.raw()) KILN_CUDA(cudaMemcpyAsync(y.raw(), x.raw(), y.bytes(), cudaMemcpyDeviceToDevice, stream));
      return;
    }
    const ReduceGeometry g = plan(x.shape(), reduced_dims(x.rank()), y.numel());
    dispatch_float(x.dtype(), Op::kName, [&](auto tag) {
      using T = decltype(tag);
      const T* in = x.data<const T>();
      T* out = y.data<T>();
      const bool rows = g.reduced_rank == 1 && g.reduced_strides[0] == 1;  // the reduced run is innermost
      if (rows) {
        launch_rows(g.outputs, g.count, [&](auto threads, dim3 grid, dim3 block) {
          reduce_rows<decltype(threads)::value, Op><<<grid, block, 0, stream>>>(in, out, g.outputs, g.count);
        });
      } else {
        reduce_general<Op><<<blocks_for(g.outputs), kThreadsPerBlock, 0, stream>>>(in, out, g);
      }
      KILN_CUDA_LAUNCHED();
    });
  }

  // Merges the dense input's dims into runs of kept and reduced dims; dims of extent 1 drop out.
  static ReduceGeometry plan(const std::vector<int64_t>& dims, const std::vector<bool>& reduced, int64_t outputs) {
    struct Run {
      int64_t dim, stride;
      bool reduced;
    };
    std::vector<Run> runs;  // innermost first
    int64_t stride = 1;
    for (size_t d = dims.size(); d-- > 0;) {
      const int64_t extent = dims[d];
      if (extent != 1) {
        // A dim like its inner neighbour extends that run outwards; the run keeps its innermost stride.
        if (!runs.empty() && runs.back().reduced == reduced[d]) runs.back().dim *= extent;
        else runs.push_back({extent, stride, reduced[d]});
      }
      stride *= extent;
    }
    ReduceGeometry g;
    g.outputs = outputs;
    g.count = 1;
    for (const Run& r : runs) {
      int& rank = r.reduced ? g.reduced_rank : g.kept_rank;
      if (rank == kMaxRank) fail_unsupported(std::string(Op::kName) + ": too many separate runs of dims");
      (r.reduced ? g.reduced_dims : g.kept_dims)[rank] = r.dim;
      (r.reduced ? g.reduced_strides : g.kept_strides)[rank] = r.stride;
      ++rank;
      if (r.reduced) g.count *= r.dim;
    }
    return g;
  }

  std::vector<int64_t> axes;
  bool keepdims, noop_when_empty;
};

}  // namespace

const kiln_kernel_desc* reduce_sum_kernel() { return describe<ReduceKernel<ReduceSum>>(); }
const kiln_kernel_desc* reduce_mean_kernel() { return describe<ReduceKernel<ReduceMean>>(); }
const kiln_kernel_desc* reduce_max_kernel() { return describe<ReduceKernel<ReduceMax>>(); }

}  // namespace kiln::cuda
