// Explicit quantization (docs/quantization.md): a model's DequantizeLinear -> op -> QuantizeLinear becomes the
// op reading and writing the integers directly, wherever a loaded kernel accepts the op in that form. The
// scales travel on the integer values (Value::quant); weights arrive as float constants that constant folding
// marked with their grid. Q/DQ nodes nothing folds stay and run as ordinary ops.
#ifndef KILN_CORE_QDQ_FOLDING_HPP
#define KILN_CORE_QDQ_FOLDING_HPP

#include <cstddef>

#include "ir/graph.hpp"
#include "select/kernel_selector.hpp"

namespace kiln {

struct QdqFoldingSummary {
  size_t folded_nodes = 0;   // ops that now read (and maybe write) integers
  size_t removed_qdq = 0;    // Quantize/DequantizeLinear nodes gone
};

QdqFoldingSummary fold_qdq(Graph& graph, const KernelSelector& selector);

}  // namespace kiln

#endif  // KILN_CORE_QDQ_FOLDING_HPP
