// Implicit INT8 (`precision: int8`; docs/quantization.md): with one calibrated scale per float activation, a
// layer runs INT8 when a loaded kernel accepts it with its float activations replaced by int8 values carrying
// those scales. Its output is int8 too unless it is a graph output or no kernel accepts that (then the kernel
// writes reals). A value read and written only by INT8 layers becomes int8 where it is; where INT8 layers meet
// float ones, one QuantizeLinear or DequantizeLinear per value is inserted. Layers named by `keep_fp32` or by
// `layer_precisions` stay float; so do layers whose activations have no scale (all zero in calibration). The
// inputs of a Concat that copies integers (KILN_KERNEL_CONCAT with QUANT_PASSTHROUGH) take its output's scale.
#ifndef KILN_CORE_INT8_ASSIGNMENT_HPP
#define KILN_CORE_INT8_ASSIGNMENT_HPP

#include <map>
#include <string>

#include "config/build_config.hpp"
#include "ir/graph.hpp"
#include "select/kernel_selector.hpp"

namespace kiln {

struct Int8Summary {
  size_t int8_nodes = 0;
  size_t quantize_nodes = 0;    // QuantizeLinear inserted (float -> int8)
  size_t dequantize_nodes = 0;  // DequantizeLinear inserted (int8 -> float)
  std::string describe() const;
};

// `scales`: value name -> symmetric INT8 scale (the calibration cache's).
Int8Summary assign_int8(Graph& graph, const KernelSelector& selector, const BuildConfig& config,
                        const std::map<std::string, float>& scales);

}  // namespace kiln

#endif  // KILN_CORE_INT8_ASSIGNMENT_HPP
