// What the elementwise and normalization kernels share besides the strided walk (common/strided.cuh): the
// device type of each dtype, float conversions for float16, dtype dispatch, the io specs they declare and the
// checks that every float operand has one dtype.
#ifndef KILN_CUDA_ELEMENTWISE_TYPES_CUH
#define KILN_CUDA_ELEMENTWISE_TYPES_CUH

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln::cuda::elementwise {

// ---- dtypes ------------------------------------------------------------------------------------------------

constexpr uint64_t kFloatDtypes = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT16);
// Elementwise positions accept dense row-major and channels-last storage alike (strides say which).
constexpr uint32_t kAnyLayout = KILN_LAYOUT_BIT(KILN_LAYOUT_LINEAR) | KILN_LAYOUT_BIT(KILN_LAYOUT_NHWC);

// float16 data is computed in float: load widens, store rounds to nearest even.
__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
template <class T> __device__ __forceinline__ T from_float(float v);
template <> __device__ __forceinline__ float from_float<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }

// std::min / std::max exactly as the reference pack computes them, NaN cases included: the first argument wins
// unless the second compares strictly smaller (larger). fminf/fmaxf would drop NaN where the reference keeps it.
__device__ __forceinline__ float std_min(float a, float b) { return b < a ? b : a; }
__device__ __forceinline__ float std_max(float a, float b) { return a < b ? b : a; }

// Calls fn(T{}) with the device type of a float dtype: float or __half.
template <class Fn>
void dispatch_float(kiln_dtype dtype, const char* what, Fn&& fn) {
  if (dtype == KILN_DTYPE_FLOAT32) fn(float{});
  else if (dtype == KILN_DTYPE_FLOAT16) fn(__half{});
  else fail_unsupported(std::string(what) + ": dtype " + dtype_name(dtype) + " is not supported on CUDA");
}

// Applies a float functor to float16 or float32 storage: y = F(x) or z = F(a, b) through float.
template <class T, class F>
struct ThroughFloat {
  F f;
  __device__ __forceinline__ T operator()(T x) const { return from_float<T>(f(to_float(x))); }
  __device__ __forceinline__ T operator()(T a, T b) const { return from_float<T>(f(to_float(a), to_float(b))); }
};

// ---- checks ------------------------------------------------------------------------------------------------

// Why the node's float positions (inputs `inputs`, output 0) do not share one dtype, or "". Omitted inputs and
// unknown dtypes are skipped.
inline std::string mixed_float_dtypes(const Node& node, const std::vector<int>& inputs) {
  const kiln_dtype want = node.output(0).dtype;
  for (int i : inputs) {
    if (!node.has_input(i)) continue;
    const kiln_dtype d = node.input(i).dtype;
    if (want != KILN_DTYPE_UNDEFINED && d != want)
      return std::string("input ") + std::to_string(i) + " is " + dtype_name(d) + " but the output is " + dtype_name(want) +
             ": all float operands must share one dtype";
  }
  return "";
}

// The same at run time, where it is an error: the builder promised matching dtypes.
inline void require_dtype(const Tensor& t, kiln_dtype want, const char* op, const char* what) {
  if (t.dtype() != want)
    fail_invalid(std::string(op) + ": " + what + " is " + dtype_name(t.dtype()) + ", expected " + dtype_name(want));
}

// Why a known rank is beyond what the strided kernels index, or "".
constexpr int kMaxRank = 8;
inline std::string rank_too_high(const Node& node, int input) {
  const ValueInfo v = node.input(input);
  if (v.has_rank && v.rank() > kMaxRank)
    return "rank " + std::to_string(v.rank()) + " exceeds the CUDA kernels' limit of " + std::to_string(kMaxRank);
  return "";
}

// ---- launches ----------------------------------------------------------------------------------------------

constexpr int kThreadsPerBlock = 256;
// Grid-stride loops cover any size; more blocks than this only adds scheduling work.
constexpr int64_t kMaxBlocks = 4096;

inline unsigned blocks_for(int64_t work, int64_t per_block = kThreadsPerBlock) {
  int64_t blocks = (work + per_block - 1) / per_block;
  if (blocks < 1) blocks = 1;
  if (blocks > kMaxBlocks) blocks = kMaxBlocks;
  return static_cast<unsigned>(blocks);
}

inline cudaStream_t stream_of(const ExecContext& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }

// ---- host values -------------------------------------------------------------------------------------------

// A constant float input's values as float, read on the host at create (float32 or float16 storage).
inline std::vector<float> host_floats(const ValueInfo& v, const std::string& op) {
  if (!v.data || !v.shape_known()) fail_invalid(op + ": '" + v.name + "' must be a constant");
  std::vector<float> out(static_cast<size_t>(v.numel()));
  for (size_t i = 0; i < out.size(); ++i) {
    if (v.dtype == KILN_DTYPE_FLOAT32) out[i] = static_cast<const float*>(v.data)[i];
    else if (v.dtype == KILN_DTYPE_FLOAT16) out[i] = static_cast<float>(static_cast<const float16*>(v.data)[i]);
    else fail_invalid(op + ": '" + v.name + "' must be float32 or float16, got " + dtype_name(v.dtype));
  }
  return out;
}

}  // namespace kiln::cuda::elementwise

#endif  // KILN_CUDA_ELEMENTWISE_TYPES_CUH
