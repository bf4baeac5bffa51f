// INT8 activations as the reference pack's INT8 kernels (ops/*_int8.cpp) read and write them
// (docs/quantization.md): int8/uint8 values quantized per tensor, whose integers q stand for the reals
// (q - zero) * scale. A kernel reads its activations' integers less their zero point, or their reals (a fused
// residual), and writes reals either requantized, saturate(round_half_even(real / scale) + zero), or as float32.
#ifndef KILN_CPU_REF_INT8_ACTIVATION_HPP
#define KILN_CPU_REF_INT8_ACTIVATION_HPP

#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "common/integer_math.hpp"
#include "common/nn_values.hpp"
#include "common/quantize.hpp"

namespace kiln::cpu_ref {

// What an INT8 kernel's output may be: quantized integers, or reals for float readers.
using Int8OutputTypes = DtypeSet<KILN_DTYPE_INT8, KILN_DTYPE_UINT8, KILN_DTYPE_FLOAT32>;

// The INT8 form of a float kernel's spec: the same op and pattern, named <name>Int8, with input 0 (the
// activation) int8/uint8, a fused kernel's trailing inputs int8/uint8 too (a quantized residual) and output 0
// int8, uint8 or float32. Flagged QUANTIZED (ABI 1.3), which is what lets the builder hand it quantized
// activations; none of the float kernel's flags: it neither writes strided views nor stacks.
inline KernelSpec int8_spec(KernelSpec s) {
  s.name += "Int8";
  s.inputs.at(0).dtypes = Quant8Types::mask;
  if (s.inputs.back().flags & KILN_IO_VARIADIC) s.inputs.back().dtypes |= Quant8Types::mask;
  s.outputs = {io(Int8OutputTypes::mask)};
  s.flags = KILN_KERNEL_QUANTIZED;
  return s;
}

// Whether `zero` is a value of the integer type `dtype` (int8 or uint8).
inline bool zero_point_fits(int64_t zero, kiln_dtype dtype) {
  return dtype == KILN_DTYPE_UINT8 ? zero >= 0 && zero <= 255 : zero >= -128 && zero <= 127;
}

// Why `v` is not an activation an INT8 kernel takes (int8/uint8 with one valid scale and zero point), or "".
// `what` names it in the reason ("X", "the Add operand", ...).
inline std::string activation_reason(const ValueInfo& v, const std::string& what) {
  const std::string label = what + " '" + v.name + "'";
  if (!in_set<Quant8Types>(v.dtype)) return label + " is " + dtype_name(v.dtype) + ", not an int8/uint8 activation";
  const Quantization& q = v.quant;
  if (!q.present()) return label + " (" + dtype_name(v.dtype) + ") has no quantization parameters";
  if (q.scales.size() != 1 || q.axis >= 0)
    return label + " is quantized per axis " + std::to_string(q.axis) + " (" + std::to_string(q.scales.size()) +
           " scales); INT8 activations must be quantized per tensor";
  if (q.dtype != KILN_DTYPE_UNDEFINED && q.dtype != v.dtype)
    return label + " is " + dtype_name(v.dtype) + " but its quantization parameters are for " + dtype_name(q.dtype);
  if (!(q.scales[0] > 0) || !std::isfinite(q.scales[0]))
    return label + "'s scale " + std::to_string(q.scales[0]) + " is not positive and finite";
  if (!zero_point_fits(q.zero_points[0], v.dtype))
    return label + "'s zero point " + std::to_string(q.zero_points[0]) + " is not a " + dtype_name(v.dtype) + " value";
  return "";
}

// Why `y` is not an output an INT8 kernel writes (an int8/uint8 activation, or float32 reals), or "".
inline std::string int8_output_reason(const ValueInfo& y) {
  if (y.dtype == KILN_DTYPE_FLOAT32) return "";
  if (!in_set<Quant8Types>(y.dtype))
    return std::string("output '") + y.name + "' is " + dtype_name(y.dtype) + "; INT8 kernels write int8, uint8 or float32";
  return activation_reason(y, "output");
}

// The dtype an INT8 kernel's output has: what the graph made it (the builder decides between integers and
// reals), or the input's when the graph does not say.
inline kiln_dtype int8_output_dtype(const Node& node, kiln_dtype input) {
  const kiln_dtype declared = node.output(0).dtype;
  return in_set<Int8OutputTypes>(declared) ? declared : input;
}

// One scale and zero point for a whole tensor, read once at create (run-time tensors carry none).
struct TensorQuant {
  double scale = 1.0;
  int64_t zero = 0;

  // v's parameters; activation_reason() has accepted v.
  static TensorQuant of(const ValueInfo& v) {
    if (!v.quant.present()) fail_invalid("'" + v.name + "' has no quantization parameters");
    return TensorQuant{v.quant.scales[0], v.quant.zero_points[0]};
  }
};

// t's integers less the zero point, in int64: a convolution's zero padding then is the real 0, and products
// accumulate exactly.
inline std::vector<int64_t> centered_values(const Tensor& t, const TensorQuant& q, const char* op) {
  std::vector<int64_t> v = values_as<int64_t>(t, op);
  for (int64_t& e : v) e -= q.zero;
  return v;
}

// t's reals in double: (q - zero) * scale for int8/uint8 (quantized per `q`), the values themselves for floats.
inline std::vector<double> real_values(const Tensor& t, const TensorQuant& q, const char* op) {
  if (!in_set<Quant8Types>(t.dtype())) return values_as<double>(t, op);
  const std::vector<int64_t> centered = centered_values(t, q, op);
  std::vector<double> out(centered.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(centered[i]) * q.scale;
  return out;
}

// A real as integer Q: saturate(round_half_even(real / scale) + zero). NaN gives 0, as saturate_cast does.
template <class Q> Q requantize(double real, const TensorQuant& q) {
  return saturate_cast<Q>(std::nearbyint(real / q.scale) + static_cast<double>(q.zero));
}

// Where an INT8 kernel's reals go: requantized into an int8/uint8 output, or stored into a float32 one.
class Int8Output {
 public:
  Int8Output() = default;
  explicit Int8Output(const ValueInfo& y)
      : dtype_(y.dtype), quant_(y.dtype == KILN_DTYPE_FLOAT32 ? TensorQuant{} : TensorQuant::of(y)) {}

  // Writes reals[0, count) at elements [offset, offset + count) of y.
  void store(const Tensor& y, int64_t offset, const double* reals, int64_t count) const {
    if (y.dtype() != dtype_)
      fail_invalid(std::string("INT8 output: the tensor is ") + dtype_name(y.dtype()) + ", the graph said " + dtype_name(dtype_));
    Int8OutputTypes::dispatch(y.dtype(), "INT8 output", [&](auto tag) {
      using T = decltype(tag);
      T* out = y.data<T>() + offset;
      for (int64_t i = 0; i < count; ++i) {
        if constexpr (std::is_same_v<T, float>) out[i] = static_cast<float>(reals[i]);
        else out[i] = requantize<T>(reals[i], quant_);
      }
    });
  }

 private:
  kiln_dtype dtype_ = KILN_DTYPE_FLOAT32;
  TensorQuant quant_;
};

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_INT8_ACTIVATION_HPP
