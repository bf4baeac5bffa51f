// What the quantization kernels share (ops/quantize_linear.cpp, ops/qlinear_conv.cpp, ops/qlinear_matmul.cpp):
// their dtype sets, where an element finds its scale and zero point (per tensor, per axis or per block), and
// float arithmetic done in the dtype ONNX's reference does it in, so that results match it bit for bit.
//
// The reference (onnx/reference/ops) computes in numpy: float16 operations round each result to float16,
// and an int32 array times a float scale is float64. Integer results round half to even and saturate.
#ifndef KILN_CPU_REF_QUANTIZE_HPP
#define KILN_CPU_REF_QUANTIZE_HPP

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "common/convert.hpp"
#include "common/elementwise.hpp"
#include "common/nn_values.hpp"

namespace kiln::cpu_ref {

using QuantTypes = DtypeSet<KILN_DTYPE_UINT8, KILN_DTYPE_INT8, KILN_DTYPE_UINT16, KILN_DTYPE_INT16>;
using Quant8Types = DtypeSet<KILN_DTYPE_UINT8, KILN_DTYPE_INT8>;
using ScaleTypes = DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT16>;

// Whether dtype (an int64 attribute, or a kiln_dtype) is one of Set's.
template <class Set> bool in_set(int64_t dtype) {
  return dtype > 0 && dtype < 64 && (Set::mask & KILN_DTYPE_BIT(dtype)) != 0;
}

// Why a quantized dtype (an ONNX TensorProto code, which kiln's dtype codes follow) is declined, or "".
inline std::string quant_dtype_problem(int64_t dtype) {
  switch (dtype) {
    case KILN_DTYPE_UINT8: case KILN_DTYPE_INT8: case KILN_DTYPE_UINT16: case KILN_DTYPE_INT16: return "";
    case 17: case 18: case 19: case 20: return "float8 quantized types are not supported";
    case 21: case 22: return "4-bit integer quantized types (int4, uint4) are not supported";
    case 23: return "float4e2m1 is not supported";
    case 25: case 26: return "2-bit integer quantized types (int2, uint2) are not supported";
    default: return "quantized type " + std::to_string(dtype) + " is not supported (uint8, int8, uint16, int16 are)";
  }
}

// x rounded to dtype's precision: float16 rounds to float16, float32 to float, float64 stays.
inline double round_to(kiln_dtype dtype, double x) {
  if (dtype == KILN_DTYPE_FLOAT16) return static_cast<float>(float16_from_double(x));
  if (dtype == KILN_DTYPE_FLOAT32) return static_cast<float>(x);
  return x;
}

// a / b and a * b on values of dtype, as numpy computes them: float16 in float, then rounded to float16.
inline double divide_in(kiln_dtype dtype, double a, double b) {
  if (dtype == KILN_DTYPE_FLOAT64) return a / b;
  return round_to(dtype, static_cast<float>(a) / static_cast<float>(b));
}
inline double multiply_in(kiln_dtype dtype, double a, double b) {
  if (dtype == KILN_DTYPE_FLOAT64) return a * b;
  return round_to(dtype, static_cast<float>(a) * static_cast<float>(b));
}

// numpy's result dtype for an operation on two float dtypes.
inline kiln_dtype promote_float(kiln_dtype a, kiln_dtype b) {
  if (a == KILN_DTYPE_FLOAT64 || b == KILN_DTYPE_FLOAT64) return KILN_DTYPE_FLOAT64;
  if (a == KILN_DTYPE_FLOAT16 && b == KILN_DTYPE_FLOAT16) return KILN_DTYPE_FLOAT16;
  return KILN_DTYPE_FLOAT32;
}

// a * b / y with each step in dtype, as the reference computes a requantization multiplier from its scales.
inline double scale_ratio(kiln_dtype dtype, double a, double b, double y) {
  return divide_in(dtype, multiply_in(dtype, a, b), y);
}

// Rounds half to even and saturates to Q.
template <class Q> Q saturate_round(double x) { return saturate_cast<Q>(std::nearbyint(x)); }

// Where element i of a tensor of `dims` finds its scale and zero point: per tensor (one value), per axis (a 1-D
// tensor of dims[axis] values) or, with block_size > 0, per block (dims, except ceil(dims[axis] / block_size)
// at axis).
class QuantParamIndex {
 public:
  QuantParamIndex(const std::vector<int64_t>& dims, const std::vector<int64_t>& scale_dims, int64_t axis,
                  int64_t block_size, const std::string& label)
      : block_size_(block_size) {
    if (product(scale_dims) == 1) return;  // per tensor
    const int64_t rank = static_cast<int64_t>(dims.size());
    if (axis < -rank || axis >= rank) fail_invalid(label + ": axis " + std::to_string(axis) + " is out of range");
    if (axis < 0) axis += rank;
    per_tensor_ = false;
    extent_ = dims[axis];
    inner_ = 1;
    for (int64_t d = axis + 1; d < rank; ++d) inner_ *= dims[d];
    if (block_size <= 0) {
      if (scale_dims.size() != 1 || scale_dims[0] != extent_)
        fail_invalid(label + ": a per-axis scale must be 1-D with " + std::to_string(extent_) + " values");
      return;
    }
    blocks_ = (extent_ + block_size - 1) / block_size;
    std::vector<int64_t> expected = dims;
    expected[axis] = blocks_;
    if (scale_dims != expected)
      fail_invalid(label + ": a blocked scale must have the input's shape with ceil(dim / block_size) at axis");
  }
  int64_t operator()(int64_t i) const {
    if (per_tensor_) return 0;
    const int64_t along = (i / inner_) % extent_;
    if (block_size_ <= 0) return along;
    const int64_t outer = i / (inner_ * extent_);
    return (outer * blocks_ + along / block_size_) * inner_ + i % inner_;
  }

 private:
  bool per_tensor_ = true;
  int64_t block_size_, extent_ = 1, inner_ = 1, blocks_ = 1;
};

// A per-tensor scalar (one value) as double; label names it in the error.
inline double scalar_value(const Tensor& t, const std::string& label) {
  if (t.numel() != 1) fail_invalid(label + " must hold one value (per-tensor)");
  return values_as<double>(t, label.c_str())[0];
}

// t's values minus its zero point (absent: 0) as int64. The zero point is one value, a 1-D tensor of
// dims[along] values (per row, per column or per output channel; along < 0 allows none), or a tensor that
// broadcasts to t's dims (MatMulInteger's [D1, D2, M, 1] form).
inline std::vector<int64_t> centered(const Tensor& t, const Tensor* zero_point, int along, const std::string& label) {
  std::vector<int64_t> v = values_as<int64_t>(t, label.c_str());
  if (!zero_point) return v;
  const std::vector<int64_t> zv = values_as<int64_t>(*zero_point, label.c_str());
  if (zv.size() == 1) {
    for (int64_t& e : v) e -= zv[0];
    return v;
  }
  const std::vector<int64_t> dims = t.shape();
  std::vector<int64_t> zd = zero_point->shape();
  if (zd.size() == 1 && along >= 0 && static_cast<size_t>(along) < dims.size() && zd[0] == dims[along]) {
    zd.assign(dims.size(), 1);
    zd[along] = dims[along];
  }
  if (zd.size() > dims.size() || broadcast_shapes({dims, zd}) != dims)
    fail_invalid(label + ": the zero point's shape does not fit the input's");
  for_each_broadcast<1>(dims, {zd}, [&](int64_t i, const std::array<int64_t, 1>& at) { v[i] -= zv[at[0]]; });
  return v;
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_QUANTIZE_HPP
