// LayerNormalization (opset 17) on float32/float16, dense row-major: each row of the dims from `axis` on is
// normalised, y = (x - mean) / sqrt(var + epsilon) * Scale + B, with float accumulation (mean first, then the
// variance about it, which keeps precision where the mean is large). One warp per short row, one block per long.
//
// Scale and B broadcast against the normalised dims. Constant ones are expanded to a full row and uploaded as
// float when the kernel is created; computed ones must already be a full row of X's dtype. The optional Mean and
// InvStdDev outputs are not produced: check() declines nodes that use them.
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "common/cuda_check.hpp"
#include "common/device_buffer.hpp"
#include "common/elementwise_rows.cuh"
#include "common/elementwise_types.cuh"
#include "common/strided.cuh"
#include "kiln/plugin.hpp"

namespace kiln::cuda {
namespace {

using namespace elementwise;

// P is the parameters' type: float (uploaded constants) or T (computed inputs). bias may be null.
template <int kThreads, class T, class P>
__global__ void layer_norm_rows(const T* x, T* y, const P* scale, const P* bias, int64_t rows, int64_t n, float epsilon) {
  const float count = static_cast<float>(n);
  KILN_FOR_EACH_ROW(row, rows) {
    const T* in = x + row * n;
    T* out = y + row * n;
    float sum = 0.0f;
    for (int64_t i = threadIdx.x; i < n; i += kThreads) sum += to_float(in[i]);
    const float mean = row_allreduce<kThreads>(sum, SumOp{}) / count;
    float squares = 0.0f;
    for (int64_t i = threadIdx.x; i < n; i += kThreads) {
      const float d = to_float(in[i]) - mean;
      squares += d * d;
    }
    const float variance = row_allreduce<kThreads>(squares, SumOp{}) / count;
    const float inv_std = 1.0f / sqrtf(variance + epsilon);
    for (int64_t i = threadIdx.x; i < n; i += kThreads) {
      const float normalised = (to_float(in[i]) - mean) * inv_std;
      out[i] = from_float<T>(normalised * to_float(scale[i]) + (bias ? to_float(bias[i]) : 0.0f));
    }
  }
}

// A constant Scale or B as a full row of the normalised dims (as it is, when those dims are not known yet).
std::vector<float> full_row(const ValueInfo& param, const std::vector<int64_t>& norm_dims, bool norm_known) {
  const std::vector<float> values = host_floats(param, "LayerNormalization");
  if (!norm_known) return values;
  const std::vector<int64_t> read =
      broadcast_read_strides(param.dims, dense_strides(param.dims), norm_dims, "LayerNormalization");
  const std::vector<int64_t> walk = dense_strides(norm_dims);
  std::vector<float> row(static_cast<size_t>(product(norm_dims)));
  for (size_t i = 0; i < row.size(); ++i) {
    int64_t offset = 0;
    for (size_t d = 0; d < norm_dims.size(); ++d) offset += (static_cast<int64_t>(i) / walk[d] % norm_dims[d]) * read[d];
    row[i] = values[static_cast<size_t>(offset)];
  }
  return row;
}

struct LayerNormalization {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.LayerNormalization";
    s.op_type = "LayerNormalization";
    s.opset_min = 17;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_PRECISION_SENSITIVE;
    s.inputs = {io(kFloatDtypes), io(kFloatDtypes), io(kFloatDtypes, KILN_IO_OPTIONAL)};
    s.outputs = {io(kFloatDtypes), io(kFloatDtypes, KILN_IO_OPTIONAL), io(kFloatDtypes, KILN_IO_OPTIONAL)};
    return s;
  }
  static std::string check(const Node& node) {
    for (int i = 1; i < node.num_outputs() && i < 3; ++i)
      if (node.output(i).present()) return "the optional Mean and InvStdDev outputs are not produced on CUDA";
    const int64_t stash = node.attr_int("stash_type", KILN_DTYPE_FLOAT32);
    if (stash != KILN_DTYPE_FLOAT32) return "stash_type " + std::to_string(stash) + " (CUDA computes in float32 only)";
    const bool constant_scale = node.input(1).data != nullptr;
    if (node.has_input(2) && (node.input(2).data != nullptr) != constant_scale)
      return "Scale and B must both be constants or both be computed";
    return mixed_float_dtypes(node, constant_scale ? std::vector<int>{0} : std::vector<int>{0, 1, 2});
  }
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (x.has_rank) ctx.set_output(0, x.dtype, x.dims);
    else ctx.set_output_unknown_rank(0, x.dtype);
  }

  explicit LayerNormalization(const Node& node)
      : axis(node.attr_int("axis", -1)), epsilon(node.attr_float("epsilon", 1e-5f)), constant_params(node.input(1).data != nullptr) {
    if (!constant_params) return;
    const ValueInfo x = node.input(0);
    std::vector<int64_t> norm_dims;
    bool norm_known = x.has_rank;
    if (norm_known) {
      const int a = normalize_axis(axis, x.rank(), "LayerNormalization");
      norm_dims.assign(x.dims.begin() + a, x.dims.end());
      for (int64_t d : norm_dims) norm_known = norm_known && d >= 0;
    }
    const std::vector<float> scale_row = full_row(node.input(1), norm_dims, norm_known);
    param_count = static_cast<int64_t>(scale_row.size());
    scale = DeviceBuffer(scale_row);
    if (node.has_input(2)) {
      const std::vector<float> bias_row = full_row(node.input(2), norm_dims, norm_known);
      if (static_cast<int64_t>(bias_row.size()) != param_count)
        fail_invalid("LayerNormalization: B has " + std::to_string(bias_row.size()) + " values, Scale " + std::to_string(param_count));
      bias = DeviceBuffer(bias_row);
    }
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    require_dtype(x, y.dtype(), "LayerNormalization", "X");
    require_dense(x, "LayerNormalization", "X");
    require_dense(y, "LayerNormalization", "Y");
    if (x.numel() == 0) return;
    const std::vector<int64_t> dims = x.shape();
    const size_t a = static_cast<size_t>(normalize_axis(axis, x.rank(), "LayerNormalization"));
    const int64_t rows = span_size(dims, 0, a), n = span_size(dims, a, dims.size());
    const cudaStream_t stream = stream_of(ctx);
    dispatch_float(x.dtype(), "LayerNormalization", [&](auto tag) {
      using T = decltype(tag);
      if (constant_params) {
        if (param_count != n)
          fail_invalid("LayerNormalization: Scale has " + std::to_string(param_count) + " values for rows of " + std::to_string(n));
        run<T>(x, y, scale.as<const float>(), bias.as<const float>(), rows, n, stream);
      } else {
        const std::vector<int64_t> norm_dims(dims.begin() + static_cast<long>(a), dims.end());
        const T* s = computed_param<T>(ctx, 1, x.dtype(), norm_dims, n);
        const T* b = ctx.has_input(2) ? computed_param<T>(ctx, 2, x.dtype(), norm_dims, n) : nullptr;
        run<T>(x, y, s, b, rows, n, stream);
      }
    });
  }

  // A computed Scale or B: a full row of X's dtype (it may have leading dims of 1).
  template <class T>
  static const T* computed_param(const ExecContext& ctx, int index, kiln_dtype dtype, const std::vector<int64_t>& norm_dims, int64_t n) {
    const Tensor p = ctx.input(index);
    const char* what = index == 1 ? "Scale" : "B";
    require_dtype(p, dtype, "LayerNormalization", what);
    require_dense(p, "LayerNormalization", what);
    broadcast_read_strides(p.shape(), dense_strides(p.shape()), norm_dims, "LayerNormalization");
    if (p.numel() != n)
      fail_invalid(std::string("LayerNormalization: a computed ") + what + " must hold a full row (" + std::to_string(n) +
                   " values), got " + std::to_string(p.numel()));
    return p.data<const T>();
  }

  template <class T, class P>
  void run(const Tensor& x, const Tensor& y, const P* s, const P* b, int64_t rows, int64_t n, cudaStream_t stream) const {
    const T* in = x.data<const T>();
    T* out = y.data<T>();
    launch_rows(rows, n, [&](auto threads, dim3 grid, dim3 block) {
      layer_norm_rows<decltype(threads)::value><<<grid, block, 0, stream>>>(in, out, s, b, rows, n, epsilon);
    });
    KILN_CUDA_LAUNCHED();
  }

  int64_t axis;
  float epsilon;
  bool constant_params;
  int64_t param_count = 0;
  DeviceBuffer scale, bias;
};

}  // namespace

const kiln_kernel_desc* layer_normalization_kernel() { return describe<LayerNormalization>(); }

}  // namespace kiln::cuda
