// What the CUDA pooling kernels (ops/pool.cpp, ops/global_pool.cu) need of int8/uint8 values: whether their
// quantization parameters can be used, and the parameters as common/pool_window.hpp's kernel reads them.
#ifndef KILN_CUDA_POOL_QUANT_HPP
#define KILN_CUDA_POOL_QUANT_HPP

#include <string>

#include "common/pool_window.hpp"
#include "common/quant_params.hpp"

namespace kiln::cuda {

// Why an int8/uint8 pool cannot run, or "". MaxPool of plain integers (no parameters on either side) is the
// integer max the reference computes; with parameters both sides need per-tensor ones, and an average always
// does (its rounding happens on Y's grid).
inline std::string quantized_reason(const Node& node, bool max) {
  const ValueInfo x = node.input(0), y = node.output(0);
  if (!is_quantized_dtype(x.dtype)) return "";
  if (y.dtype != KILN_DTYPE_UNDEFINED && y.dtype != x.dtype)
    return std::string("X is ") + dtype_name(x.dtype) + ", Y " + dtype_name(y.dtype);
  if (max && !x.quant.present() && !y.quant.present()) return "";
  if (std::string why = per_tensor_reason(x, "X"); !why.empty()) return why;
  return per_tensor_reason(y, "Y");
}

// The integers' parameters (identity for floats, and for a MaxPool of plain integers).
inline PoolQuant pool_quant(const Node& node) {
  PoolQuant q;
  const ValueInfo x = node.input(0), y = node.output(0);
  if (!is_quantized_dtype(x.dtype) || (!x.quant.present() && !y.quant.present())) return q;
  const TensorQuant in = per_tensor_quant(x, "X"), out = per_tensor_quant(y, "Y");
  q.x_scale = in.scale, q.x_zero = in.zero_point;
  q.y_scale = out.scale, q.y_zero = out.zero_point;
  return q;
}

}  // namespace kiln::cuda

#endif  // KILN_CUDA_POOL_QUANT_HPP
