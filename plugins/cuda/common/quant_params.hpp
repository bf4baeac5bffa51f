// Quantization parameters as the CUDA INT8 kernels read them (docs/quantization.md, ABI 1.3 ValueInfo::quant): the
// one scale and zero point of a per-tensor int8/uint8 value, the reasons a kernel declines parameters it cannot
// use, and whether two values lie on one integer grid (so that their bytes may move between them unchanged).
#ifndef KILN_CUDA_QUANT_PARAMS_HPP
#define KILN_CUDA_QUANT_PARAMS_HPP

#include <cmath>
#include <cstdint>
#include <string>

#include "kiln/plugin.hpp"

namespace kiln::cuda {

constexpr uint64_t kQuantizedDtypes = KILN_DTYPE_BIT(KILN_DTYPE_INT8) | KILN_DTYPE_BIT(KILN_DTYPE_UINT8);

inline bool is_quantized_dtype(kiln_dtype dtype) { return dtype == KILN_DTYPE_INT8 || dtype == KILN_DTYPE_UINT8; }

// One scale and zero point for a whole tensor: its integers q stand for (q - zero_point) * scale.
struct TensorQuant {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// "scale 0.0123 zero point 3", "per axis 0 (64 scales)" or "no quantization parameters", for reasons and notes.
inline std::string quant_text(const Quantization& q) {
  if (!q.present()) return "no quantization parameters";
  if (!q.per_tensor()) return "per axis " + std::to_string(q.axis) + " (" + std::to_string(q.scales.size()) + " scales)";
  std::string text = "scale " + std::to_string(q.scales[0]);
  if (q.zero_points[0] != 0) text += " zero point " + std::to_string(q.zero_points[0]);
  return text;
}

// Why `v` does not carry one usable scale and zero point for the whole tensor, or "". `what` names it ("X").
inline std::string per_tensor_reason(const ValueInfo& v, const std::string& what) {
  const std::string named = what + " '" + v.name + "'";
  if (!v.quant.present()) return named + " is " + dtype_name(v.dtype) + " without quantization parameters";
  if (!v.quant.per_tensor()) return named + " is quantized " + quant_text(v.quant) + "; only per-tensor parameters run here";
  const float scale = v.quant.scales[0];
  if (!(scale > 0.0f) || !std::isfinite(scale)) return named + " has scale " + std::to_string(scale) + ", not a positive number";
  return "";
}

// The dtype an INT8 kernel's shape function gives Y: for integers in, the graph's (int8, or float where the
// builder's quantization made the layer write reals; x's when it has decided nothing yet); for reals in, x's, as
// the reference answers (a kernel without a shape function borrows the first loaded one of its op).
inline kiln_dtype quantized_layer_output_dtype(const Node& node, const ValueInfo& x) {
  const kiln_dtype declared = node.output(0).dtype;
  const bool integers = x.dtype == KILN_DTYPE_INT8 || x.dtype == KILN_DTYPE_UINT8;
  return integers && declared != KILN_DTYPE_UNDEFINED ? declared : x.dtype;
}

// The per-tensor parameters of `v`; fails (unsupported) with per_tensor_reason's text when it has none.
inline TensorQuant per_tensor_quant(const ValueInfo& v, const std::string& what) {
  if (const std::string why = per_tensor_reason(v, what); !why.empty()) fail_unsupported(why);
  return TensorQuant{v.quant.scales[0], v.quant.zero_points[0]};
}

// Whether two values' integers mean the same reals: both unquantized, or the same parameters.
inline bool same_quantization(const Quantization& a, const Quantization& b) {
  if (a.present() != b.present()) return false;
  if (!a.present()) return true;
  return a.scales == b.scales && a.zero_points == b.zero_points && a.dtype == b.dtype &&
         (a.per_tensor() || a.axis == b.axis);
}

// Why input `i`'s integers cannot be moved into output 0 as they are, or "": a byte copy keeps an integer, so it
// keeps the real it stands for only when both grids are one (QUANT_PASSTHROUGH kernels: Concat, the shape ops).
// `moved` says what the op does, for the reason ("concatenated").
inline std::string one_grid_reason(const Node& node, int i, const std::string& moved) {
  const ValueInfo x = node.input(i), y = node.output(0);
  if (!is_quantized_dtype(x.dtype) || same_quantization(x.quant, y.quant)) return "";  // (a float constant's grid is moot)
  return "input " + std::to_string(i) + " '" + x.name + "' has " + quant_text(x.quant) + ", the output " +
         quant_text(y.quant) + ": quantized values are " + moved + " only on one integer grid";
}

}  // namespace kiln::cuda

#endif  // KILN_CUDA_QUANT_PARAMS_HPP
