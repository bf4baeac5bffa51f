// QuantizeLinear and DequantizeLinear on the GPU, so that the borders between INT8 layers and float ones stay on
// the device (docs/quantization.md):
//   quantize:   y = saturate(round_half_even(x / scale) + zero_point)   float32/float16 -> int8/uint8
//   dequantize: y = (x - zero_point) * scale                             int8/uint8 -> float32/float16
// with the reference pack's arithmetic (its ops/quantize_linear.cpp, after ONNX's reference): the quotient in the
// dtype numpy computes it in (float16 when x and the scale both are float16; `precision`, opset 23, overrides),
// the dequantized product in float32, rounded once to the output dtype.
//
// Scale and zero point are constants, read and uploaded in create: one pair for the whole tensor, or one per
// slice along `axis` (opset 13 on). Either way they are operands of the strided machinery (common/strided.cuh)
// read with stride 0 (per tensor) or stride 1 along the axis, so any layout of x and y works: linear and NHWC
// are elementwise alike. Blocked quantization (block_size, opset 21) is declined.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/device_buffer.hpp"
#include "common/elementwise_rows.cuh"  // normalize_axis
#include "common/elementwise_types.cuh"
#include "common/quant_math.cuh"
#include "common/quant_params.hpp"
#include "common/strided.cuh"
#include "kiln/plugin.hpp"

namespace kiln::cuda {
namespace {

using namespace elementwise;

// The dtype the quotient x / scale is computed in, as the reference chooses it.
enum class Quotient { Float32, Float16, Float64 };

// Quantize one element: the operands are rounded to the quotient's dtype, divided in it, then rounded to the grid.
template <class T, class Q>
struct QuantizeOp {
  Quotient quotient;
  __device__ Q operator()(T x, float scale, float zero) const {
    const float xf = to_float(x);
    const int32_t z = static_cast<int32_t>(zero);
    if (quotient == Quotient::Float64) return saturate_round<Q>(static_cast<double>(xf) / static_cast<double>(scale), z);
    if (quotient == Quotient::Float16) {
      const float a = __half2float(__float2half_rn(xf)), b = __half2float(__float2half_rn(scale));
      return saturate_round<Q>(__half2float(__float2half_rn(a / b)), z);
    }
    return saturate_round<Q>(xf / scale, z);
  }
};

template <class Q, class T>
struct DequantizeOp {
  __device__ T operator()(Q q, float scale, float zero) const { return from_float<T>(dequantized(q, scale, zero)); }
};

// One scale and zero point for the whole tensor, as kernel parameters: x alone is then walked, in one flat run
// of 16-byte loads where x and y share a dense layout (an operand read with stride 0 forces the strided walk:
// 0.75 against 0.47 ms for ResNet-50's stem activations at batch 256 on an H200).
template <class Op>
struct WithConstants {
  Op op;
  float scale, zero;
  template <class X>
  __device__ auto operator()(X x) const { return op(x, scale, zero); }
};

// Calls fn(Q{}) with the integer type of an 8-bit quantized dtype.
template <class Fn>
void dispatch_quantized(kiln_dtype dtype, const char* what, Fn&& fn) {
  if (dtype == KILN_DTYPE_INT8) fn(int8_t{});
  else if (dtype == KILN_DTYPE_UINT8) fn(uint8_t{});
  else fail_unsupported(std::string(what) + ": dtype " + dtype_name(dtype) + " is not supported on CUDA (int8, uint8)");
}

// Why the node's scale and zero point (inputs 1, 2) cannot be read in create, or "".
std::string params_reason(const Node& node) {
  if (node.attr_int("block_size", 0) != 0) return "blocked quantization (block_size) is not supported on CUDA";
  const ValueInfo scale = node.input(1);
  if (!scale.data || !scale.shape_known()) return "the scale '" + scale.name + "' is not a constant (read once, in create)";
  if (node.has_input(2)) {
    const ValueInfo zero = node.input(2);
    if (!zero.data || !zero.shape_known()) return "the zero point '" + zero.name + "' is not a constant (read once, in create)";
    if (zero.numel() != scale.numel()) return "the zero point and the scale have different sizes";
  }
  if (scale.numel() != 1 && scale.rank() != 1)
    return "the scale has shape of rank " + std::to_string(scale.rank()) + ": per-tensor or 1-D per-axis only";
  return "";
}

// A node's scales and zero points on the device (as floats: the zero points of int8/uint8 are exact in float),
// and how they line up with x: per tensor, or along `axis`.
class QuantOperands {
 public:
  explicit QuantOperands(const Node& node) : label_(node.op_type() + " '" + node.name() + "'"), axis_(node.attr_int("axis", 1)) {
    if (const std::string why = params_reason(node); !why.empty()) fail_unsupported(label_ + ": " + why);
    const std::vector<float> scales = host_floats(node.input(1), label_);
    std::vector<float> zeros(scales.size(), 0.0f);
    if (node.has_input(2)) {
      const ValueInfo z = node.input(2);
      for (size_t i = 0; i < zeros.size(); ++i)
        zeros[i] = z.dtype == KILN_DTYPE_INT8 ? static_cast<float>(z.as<int8_t>()[i]) : static_cast<float>(z.as<uint8_t>()[i]);
    }
    count_ = static_cast<int64_t>(scales.size());
    if (!scales.empty()) first_scale_ = scales.front(), first_zero_ = zeros.front();  // none: a per-axis scale of an empty axis
    scales_ = DeviceBuffer(scales);
    zeros_ = DeviceBuffer(zeros);
  }

  // The scales and zero points read over x's logical dims: stride 0 everywhere but along the axis.
  std::pair<Operand<const float>, Operand<const float>> over(const std::vector<int64_t>& dims) const {
    std::vector<int64_t> strides(dims.size(), 0);
    if (count_ != 1) {
      const int axis = normalize_axis(axis_, static_cast<int>(dims.size()), label_);
      if (dims[static_cast<size_t>(axis)] != count_)
        fail_invalid(label_ + ": " + std::to_string(count_) + " scales for dim " + std::to_string(axis) + " of " +
                     dims_text(dims));
      strides[static_cast<size_t>(axis)] = 1;
    }
    return {Operand<const float>{scales_.as<const float>(), strides}, Operand<const float>{zeros_.as<const float>(), strides}};
  }

  const std::string& label() const { return label_; }
  bool per_tensor() const { return count_ == 1; }

  // y = op(x, scale, zero) over `dims`: the scale and zero point as constants when there is one of each.
  template <class Op, class Out, class In>
  void launch(const char* name, Op op, const std::vector<int64_t>& dims, const Tensor& x, const Tensor& y,
              cudaStream_t stream) const {
    if (per_tensor()) {
      launch_elementwise(name, WithConstants<Op>{op, first_scale_, first_zero_}, dims, output_operand<Out>(y), stream,
                         input_operand<In>(x, dims, name));
      return;
    }
    const auto scale_zero = over(dims);
    launch_elementwise(name, op, dims, output_operand<Out>(y), stream, input_operand<In>(x, dims, name),
                       scale_zero.first, scale_zero.second);
  }

 private:
  std::string label_;
  int64_t axis_;
  int64_t count_ = 1;
  float first_scale_ = 1, first_zero_ = 0;
  DeviceBuffer scales_, zeros_;
};

struct QuantizeLinear {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.QuantizeLinear";
    s.op_type = "QuantizeLinear";
    s.opset_min = 10;
    s.opset_max = 23;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {io_layouts(kFloatDtypes, kAnyLayout), io(kFloatDtypes), io(kQuantizedDtypes, KILN_IO_OPTIONAL)};
    s.outputs = {io_layouts(kQuantizedDtypes, kAnyLayout)};
    return s;
  }
  static std::string check(const Node& node) {
    if (std::string why = params_reason(node); !why.empty()) return why;
    const int64_t out = node.attr_int("output_dtype", 0);
    if (node.has_input(2) && out != 0 && out != node.input(2).dtype) return "output_dtype differs from the zero point's dtype";
    if (const int64_t p = node.attr_int("precision", 0); p != 0 && p != KILN_DTYPE_FLOAT32 && p != KILN_DTYPE_FLOAT16 && p != KILN_DTYPE_FLOAT64)
      return "precision " + std::to_string(p) + " is not supported (float16, float32, float64 are)";
    return rank_too_high(node, 0);
  }

  explicit QuantizeLinear(const Node& node) : params(node), quotient(quotient_of(node)) {}

  // The reference's choice: `precision` when set, else numpy's promotion of x's and the scale's dtypes.
  static Quotient quotient_of(const Node& node) {
    const int64_t precision = node.attr_int("precision", 0);
    if (precision == KILN_DTYPE_FLOAT64) return Quotient::Float64;
    if (precision == KILN_DTYPE_FLOAT16) return Quotient::Float16;
    if (precision == KILN_DTYPE_FLOAT32) return Quotient::Float32;
    const bool half = node.input(0).dtype == KILN_DTYPE_FLOAT16 && node.input(1).dtype == KILN_DTYPE_FLOAT16;
    return half ? Quotient::Float16 : Quotient::Float32;
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = y.shape();
    dispatch_float(x.dtype(), params.label().c_str(), [&](auto from) {
      using T = decltype(from);
      dispatch_quantized(y.dtype(), params.label().c_str(), [&](auto to) {
        using Q = decltype(to);
        params.launch<QuantizeOp<T, Q>, Q, T>("QuantizeLinear", QuantizeOp<T, Q>{quotient}, dims, x, y, stream_of(ctx));
      });
    });
  }

  QuantOperands params;
  Quotient quotient;
};

struct DequantizeLinear {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.DequantizeLinear";
    s.op_type = "DequantizeLinear";
    s.opset_min = 10;
    s.opset_max = 23;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {io_layouts(kQuantizedDtypes, kAnyLayout), io(kFloatDtypes), io(kQuantizedDtypes, KILN_IO_OPTIONAL)};
    s.outputs = {io_layouts(kFloatDtypes, kAnyLayout)};
    return s;
  }
  static std::string check(const Node& node) {
    if (std::string why = params_reason(node); !why.empty()) return why;
    if (node.has_input(2) && node.input(2).dtype != node.input(0).dtype) return "the zero point's dtype differs from x's";
    return rank_too_high(node, 0);
  }

  explicit DequantizeLinear(const Node& node) : params(node) {}

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = y.shape();
    dispatch_quantized(x.dtype(), params.label().c_str(), [&](auto from) {
      using Q = decltype(from);
      dispatch_float(y.dtype(), params.label().c_str(), [&](auto to) {
        using T = decltype(to);
        params.launch<DequantizeOp<Q, T>, T, Q>("DequantizeLinear", DequantizeOp<Q, T>{}, dims, x, y, stream_of(ctx));
      });
    });
  }

  QuantOperands params;
};

}  // namespace

const kiln_kernel_desc* quantize_linear_kernel() { return describe<QuantizeLinear>(); }
const kiln_kernel_desc* dequantize_linear_kernel() { return describe<DequantizeLinear>(); }

}  // namespace kiln::cuda
