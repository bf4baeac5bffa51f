// The core's reading and writing of ONNX's QuantizeLinear / DequantizeLinear nodes: the standard way a model
// (or the builder) marks where reals become integers and back. Only the forms INT8 kernels can use are
// understood: constant float32 scales, per tensor or per axis, int8/uint8, no blocks. (builder/graph_edits adds them.)
#ifndef KILN_CORE_QDQ_NODES_HPP
#define KILN_CORE_QDQ_NODES_HPP

#include <optional>
#include <string>

#include "ir/graph.hpp"

namespace kiln {

bool is_quantize_node(const Node& node);    // ai.onnx QuantizeLinear
bool is_dequantize_node(const Node& node);  // ai.onnx DequantizeLinear

// The parameters a QuantizeLinear or DequantizeLinear node applies, when it is of the understood form.
std::optional<Quantization> qdq_parameters(const Node& node);

}  // namespace kiln

#endif  // KILN_CORE_QDQ_NODES_HPP
