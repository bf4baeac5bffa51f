// Cast among float32, float16, int32, int64, bool, uint8 and int8, any layout (common/strided.cuh), with the
// reference pack's semantics (plugins/cpu_reference/common/convert.hpp): to bool is "nonzero" (NaN is true);
// float -> integer truncates toward zero, saturates, and NaN gives 0; integer -> float16 rounds once, to nearest
// even; integer -> integer wraps. Opset 19's `saturate` only concerns float8, which is not supported, so it is
// ignored.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "common/elementwise_types.cuh"
#include "common/strided.cuh"
#include "kiln/plugin.hpp"

namespace kiln::cuda {
namespace {

using namespace elementwise;

constexpr uint64_t kCastDtypes = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT16) |
                                 KILN_DTYPE_BIT(KILN_DTYPE_INT32) | KILN_DTYPE_BIT(KILN_DTYPE_INT64) |
                                 KILN_DTYPE_BIT(KILN_DTYPE_BOOL) | KILN_DTYPE_BIT(KILN_DTYPE_UINT8) |
                                 KILN_DTYPE_BIT(KILN_DTYPE_INT8);

// Calls fn(T{}) with the device type of a dtype Cast supports.
template <class Fn>
void dispatch_cast(kiln_dtype dtype, Fn&& fn) {
  switch (dtype) {
    case KILN_DTYPE_FLOAT32: return fn(float{});
    case KILN_DTYPE_FLOAT16: return fn(__half{});
    case KILN_DTYPE_INT32: return fn(int32_t{});
    case KILN_DTYPE_INT64: return fn(int64_t{});
    case KILN_DTYPE_BOOL: return fn(bool{});
    case KILN_DTYPE_UINT8: return fn(uint8_t{});
    case KILN_DTYPE_INT8: return fn(int8_t{});
    default: fail_unsupported(std::string("Cast: dtype ") + dtype_name(dtype) + " is not supported on CUDA");
  }
}

template <class T> constexpr bool is_float_v = std::is_same_v<T, float> || std::is_same_v<T, __half>;

// Integer I's range, and its saturation bounds as floats (powers of two or 0, so exact).
template <class I> struct IntRange;
template <> struct IntRange<int8_t> {
  static constexpr int8_t kMin = INT8_MIN, kMax = INT8_MAX;
  static constexpr float kLowest = -128.0f, kPastMax = 128.0f;
};
template <> struct IntRange<uint8_t> {
  static constexpr uint8_t kMin = 0, kMax = UINT8_MAX;
  static constexpr float kLowest = 0.0f, kPastMax = 256.0f;
};
template <> struct IntRange<int32_t> {
  static constexpr int32_t kMin = INT32_MIN, kMax = INT32_MAX;
  static constexpr float kLowest = -2147483648.0f, kPastMax = 2147483648.0f;
};
template <> struct IntRange<int64_t> {
  static constexpr int64_t kMin = INT64_MIN, kMax = INT64_MAX;
  static constexpr float kLowest = -9223372036854775808.0f, kPastMax = 9223372036854775808.0f;
};

// Float -> integer: truncation toward zero, clamped to I's range, NaN -> 0 (C++ leaves these undefined).
template <class I>
__device__ __forceinline__ I saturate_to(float x) {
  if (x != x) return I(0);
  if (x <= IntRange<I>::kLowest) return IntRange<I>::kMin;
  if (x >= IntRange<I>::kPastMax) return IntRange<I>::kMax;
  return static_cast<I>(x);
}

template <class T>
__device__ __forceinline__ float widen(T v) {
  if constexpr (std::is_same_v<T, __half>) return __half2float(v);
  else return static_cast<float>(v);  // int64 rounds to nearest once
}

template <class T>
__device__ __forceinline__ __half to_half(T v) {
  if constexpr (std::is_same_v<T, float>) return __float2half_rn(v);
  else if constexpr (std::is_same_v<T, int64_t>) return __ll2half_rn(static_cast<long long>(v));  // one rounding
  else return __int2half_rn(static_cast<int>(v));  // int32 rounds once; int8, uint8 and bool are exact
}

template <class T>
__device__ __forceinline__ bool is_nonzero(T v) {
  if constexpr (is_float_v<T>) return widen(v) != 0.0f;  // NaN is nonzero
  else return v != T(0);
}

template <class U, class T>
__device__ __forceinline__ U cast_value(T v) {
  if constexpr (std::is_same_v<U, T>) return v;
  else if constexpr (std::is_same_v<U, bool>) return is_nonzero(v);
  else if constexpr (std::is_same_v<U, __half>) return to_half(v);
  else if constexpr (std::is_same_v<U, float>) return widen(v);
  else if constexpr (is_float_v<T>) return saturate_to<U>(widen(v));
  else return static_cast<U>(v);  // integer -> integer wraps; bool is 0 or 1
}

template <class U, class T>
struct CastOp {
  __device__ U operator()(T v) const { return cast_value<U>(v); }
};

struct Cast {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.Cast";
    s.op_type = "Cast";
    s.opset_min = 6;
    s.device = KILN_DEVICE_CUDA;
    // Not in place: the planner would offer a float32 buffer to a float16 result, whose elements sit elsewhere.
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {io_layouts(kCastDtypes, kAnyLayout)};
    s.outputs = {io_layouts(kCastDtypes, kAnyLayout)};
    return s;
  }
  static std::string check(const Node& node) {
    const kiln_dtype to = static_cast<kiln_dtype>(node.attr_int("to"));
    if (!(kCastDtypes & KILN_DTYPE_BIT(to)))
      return std::string("the CUDA Cast does not convert to ") + dtype_name(to) +
             " (float32, float16, int32, int64, bool, uint8 and int8 only)";
    return rank_too_high(node, 0);
  }
  static void infer(const Node& node, InferContext& ctx) {
    const kiln_dtype to = static_cast<kiln_dtype>(node.attr_int("to"));
    const ValueInfo x = ctx.input(0);
    if (x.has_rank) ctx.set_output(0, to, x.dims);
    else ctx.set_output_unknown_rank(0, to);
  }
  explicit Cast(const Node&) {}

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = y.shape();
    dispatch_cast(x.dtype(), [&](auto from) {
      using T = decltype(from);
      dispatch_cast(y.dtype(), [&](auto to) {
        using U = decltype(to);
        launch_elementwise("Cast", CastOp<U, T>{}, dims, output_operand<U>(y), stream_of(ctx), input_operand<T>(x, dims, "Cast"));
      });
    });
  }
};

}  // namespace

const kiln_kernel_desc* cast_kernel() { return describe<Cast>(); }

}  // namespace kiln::cuda
