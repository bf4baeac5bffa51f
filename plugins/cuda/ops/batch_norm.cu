// BatchNormalization for inference, standalone (the builder folds it into a preceding Conv where it can):
// y = (x - mean) * scale / sqrt(var + epsilon) + B per channel (dim 1), on float32/float16 X in any layout.
//
// The four parameters must be constants: each channel's (mean, scale / sqrt(var + epsilon), B) is computed in
// double when the kernel is created and uploaded as one float4, which the elementwise walk (common/strided.cuh)
// reads as a second operand broadcast over every dim but the channel's. Keeping the subtraction of the mean
// apart from the scaling avoids the cancellation of a folded x * s + (B - mean * s) when mean is large.
#include <cuda_runtime.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/device_buffer.hpp"
#include "common/elementwise_types.cuh"
#include "common/strided.cuh"
#include "kiln/plugin.hpp"

namespace kiln::cuda {
namespace {

using namespace elementwise;

// params: x = mean, y = scale / sqrt(var + epsilon), z = B, w unused.
template <class T>
struct NormalizeChannel {
  __device__ T operator()(T x, float4 params) const { return from_float<T>((to_float(x) - params.x) * params.y + params.z); }
};

struct BatchNormalization {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.BatchNormalization";
    s.op_type = "BatchNormalization";
    s.opset_min = 6;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_INPLACE_0 | KILN_KERNEL_STRIDED_OUTPUT;
    // The parameters stay float32 under fp16 precision: this kernel folds them itself, in double.
    const kiln_io_spec param = io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32));
    s.inputs = {io_layouts(kFloatDtypes, kAnyLayout), param, param, param, param};
    s.outputs = {io_layouts(kFloatDtypes, kAnyLayout)};
    for (int i = 0; i < 4; ++i) s.outputs.push_back(io(kFloatDtypes, KILN_IO_OPTIONAL));
    return s;
  }
  static std::string check(const Node& node) {
    const int opset = node.opset();
    if (opset < 7 && node.attr_int("is_test", 0) == 0) return "is_test=0 (training mode) is not implemented on CUDA";
    if (opset >= 14 && node.attr_int("training_mode", 0) != 0) return "training_mode=1 is not implemented on CUDA";
    if (opset < 9 && node.attr_int("spatial", 1) == 0) return "spatial=0 (statistics per position) is not implemented on CUDA";
    for (int i = 1; i < node.num_outputs(); ++i)
      if (node.output(i).present()) return "the training outputs (mean, var, saved mean/var) are not produced on CUDA";
    static const char* const names[] = {"", "scale", "B", "mean", "var"};
    for (int i = 1; i < 5; ++i)
      if (!node.has_input(i) || !node.input(i).data)
        return std::string("BatchNormalization's ") + names[i] + " is not a constant (the CUDA kernel folds them when created)";
    if (std::string why = mixed_float_dtypes(node, {0}); !why.empty()) return why;
    return rank_too_high(node, 0);
  }
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (x.has_rank) ctx.set_output(0, x.dtype, x.dims);
    else ctx.set_output_unknown_rank(0, x.dtype);
  }

  explicit BatchNormalization(const Node& node) {
    const double epsilon = node.attr_float("epsilon", 1e-5f);
    const std::vector<float> scale = host_floats(node.input(1), "BatchNormalization");
    const std::vector<float> bias = host_floats(node.input(2), "BatchNormalization");
    const std::vector<float> mean = host_floats(node.input(3), "BatchNormalization");
    const std::vector<float> var = host_floats(node.input(4), "BatchNormalization");
    channels = static_cast<int64_t>(scale.size());
    if (bias.size() != scale.size() || mean.size() != scale.size() || var.size() != scale.size())
      fail_invalid("BatchNormalization: scale, B, mean and var must have one value per channel (" + std::to_string(scale.size()) +
                   ", " + std::to_string(bias.size()) + ", " + std::to_string(mean.size()) + ", " + std::to_string(var.size()) + ")");
    std::vector<float4> folded(scale.size());
    for (size_t c = 0; c < folded.size(); ++c) {
      const double factor = static_cast<double>(scale[c]) / std::sqrt(static_cast<double>(var[c]) + epsilon);
      folded[c] = make_float4(mean[c], static_cast<float>(factor), bias[c], 0.0f);
    }
    params = DeviceBuffer(folded);
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    require_dtype(x, y.dtype(), "BatchNormalization", "X");
    if (x.rank() < 2 || x.dim(1) != channels)
      fail_invalid("BatchNormalization: X " + dims_text(x.shape()) + " does not have " + std::to_string(channels) +
                   " channels in dim 1");
    const std::vector<int64_t> dims = y.shape();
    // The parameters walked over X's dims: one step per channel, nothing along the others.
    std::vector<int64_t> param_strides(dims.size(), 0);
    param_strides[1] = 1;
    const Operand<const float4> channel{params.as<const float4>(), param_strides};
    dispatch_float(y.dtype(), "BatchNormalization", [&](auto tag) {
      using T = decltype(tag);
      launch_elementwise("BatchNormalization", NormalizeChannel<T>{}, dims, output_operand<T>(y), stream_of(ctx),
                         input_operand<T>(x, dims, "BatchNormalization"), channel);
    });
  }

  int64_t channels = 0;
  DeviceBuffer params;
};

}  // namespace

const kiln_kernel_desc* batch_normalization_kernel() { return describe<BatchNormalization>(); }

}  // namespace kiln::cuda
