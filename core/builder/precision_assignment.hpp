// Reduced precision (`precision: fp16`): which device layers run in FP16, and the Casts at the borders.
//
// A node runs FP16 when its kernel runs on a device (not the CPU), accepts float16 at every float position it
// computes on, and is not flagged KILN_KERNEL_PRECISION_SENSITIVE — unless `layer_precisions` says otherwise
// for its name. A QuantizeLinear of a float32 graph input stays FP32 (one pass over the image, not a Cast and a
// quantization). A float32 value becomes float16 when its producer and all its readers run FP16; where a FP16
// node meets a float32 value (a graph input, a FP32 neighbour) a Cast is inserted, one per value. Graph inputs
// and outputs keep the model's types. Constant inputs stay float32 where the kernel still accepts the node so
// (weights it folds and converts in full precision, as cuDNN convolutions do after folding BatchNormalization);
// where it declines (elementwise operands must share one dtype), they become float16 where its spec accepts it.
#ifndef KILN_CORE_PRECISION_ASSIGNMENT_HPP
#define KILN_CORE_PRECISION_ASSIGNMENT_HPP

#include <string>

#include "config/build_config.hpp"
#include "ir/graph.hpp"
#include "select/kernel_selector.hpp"

namespace kiln {

struct PrecisionSummary {
  size_t fp16_nodes = 0;
  size_t fp32_nodes = 0;  // device nodes that stay FP32 (sensitive, overridden or without FP16 support)
  size_t casts = 0;
  std::string describe() const;
};

// Applies config.precision and config.layer_precisions to `graph`. A no-op for fp32.
PrecisionSummary assign_precision(Graph& graph, const KernelSelector& selector, const BuildConfig& config);

}  // namespace kiln

#endif  // KILN_CORE_PRECISION_ASSIGNMENT_HPP
