// Nodes the builder adds to a graph after the passes: Casts at precision borders, Quantize/DequantizeLinear at
// INT8 borders, copies at device borders.
#ifndef KILN_CORE_GRAPH_EDITS_HPP
#define KILN_CORE_GRAPH_EDITS_HPP

#include <string>

#include "ir/graph.hpp"
#include "ir/quantization.hpp"

namespace kiln {

// `base`, or `base` with the first free suffix "#2", "#3"... when the graph already has a value or node so named.
std::string unused_value_name(const Graph& graph, const std::string& base);

// A value shaped like `like` (dims, symbols, layout) with dtype `dtype`, named after it with `suffix`; of the same
// dtype, it keeps `like`'s quantization parameters too (host/device copies).
Value* add_twin_value(Graph& graph, const Value& like, DataType dtype, const std::string& suffix);

// Adds `op_type` (of `domain`, at the graph's opset for that domain) reading `input` and writing `output`.
Node* add_unary_node(Graph& graph, const std::string& op_type, const std::string& domain, const std::string& name,
                     Value* input, Value* output);

// Adds a QuantizeLinear (`real` -> `integers`) or DequantizeLinear (`integers` -> `real`) with `q`'s
// per-tensor parameters as new constants, at the graph's ai.onnx opset (at least 13). Names are made unique.
Node* add_quantize_node(Graph& graph, const std::string& name, Value* real, Value* integers, const Quantization& q);
Node* add_dequantize_node(Graph& graph, const std::string& name, Value* integers, Value* real, const Quantization& q);

}  // namespace kiln

#endif  // KILN_CORE_GRAPH_EDITS_HPP
