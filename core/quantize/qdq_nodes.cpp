#include "quantize/qdq_nodes.hpp"

#include <cmath>

namespace kiln {

namespace {

bool is_onnx_op(const Node& node, const char* op) { return node.domain.empty() && node.op_type == op; }

int64_t int_attribute(const Node& node, const char* name, int64_t fallback) {
  const Attribute* a = node.attribute(name);
  return a && a->kind == KILN_ATTR_INT ? a->i : fallback;
}

// The integer type: the zero point's, else DequantizeLinear's input's, else QuantizeLinear's output_dtype
// (opset 21) or its default uint8.
DataType integer_type(const Node& node, const Value* zero_point) {
  if (zero_point) return zero_point->dtype;
  if (is_dequantize_node(node)) return node.inputs[0]->dtype;
  const int64_t output_dtype = int_attribute(node, "output_dtype", 0);
  return output_dtype ? static_cast<DataType>(output_dtype) : KILN_DTYPE_UINT8;
}

std::vector<int32_t> zero_points(const Value* zero_point, size_t count, DataType dtype) {
  std::vector<int32_t> zeros(count, 0);
  if (!zero_point) return zeros;
  for (size_t i = 0; i < count; ++i)
    zeros[i] = dtype == KILN_DTYPE_INT8 ? zero_point->constant->as<int8_t>()[i] : zero_point->constant->as<uint8_t>()[i];
  return zeros;
}

}  // namespace

bool is_quantize_node(const Node& node) { return is_onnx_op(node, "QuantizeLinear"); }
bool is_dequantize_node(const Node& node) { return is_onnx_op(node, "DequantizeLinear"); }

std::optional<Quantization> qdq_parameters(const Node& node) {
  if (!is_quantize_node(node) && !is_dequantize_node(node)) return std::nullopt;
  if (node.inputs.size() < 2 || !node.inputs[0] || !node.inputs[1] || int_attribute(node, "block_size", 0) != 0)
    return std::nullopt;
  const Value* scale = node.inputs[1];
  const Value* zero_point = node.inputs.size() > 2 ? node.inputs[2] : nullptr;
  if (!scale->constant || scale->dtype != KILN_DTYPE_FLOAT32 || (zero_point && !zero_point->constant)) return std::nullopt;
  Quantization q;
  q.dtype = integer_type(node, zero_point);
  if (q.dtype != KILN_DTYPE_INT8 && q.dtype != KILN_DTYPE_UINT8) return std::nullopt;
  const size_t count = static_cast<size_t>(scale->constant->numel());
  if (count == 0 || (zero_point && static_cast<size_t>(zero_point->constant->numel()) != count)) return std::nullopt;
  q.scales.assign(scale->constant->as<float>(), scale->constant->as<float>() + count);
  for (float s : q.scales)
    if (!(s > 0) || !std::isfinite(s)) return std::nullopt;
  q.zero_points = zero_points(zero_point, count, q.dtype);
  if (scale->constant->rank() > 0 && count > 1) {  // per axis; the axis counts from the end when negative
    const Value* x = node.inputs[0];
    if (!x->has_shape) return std::nullopt;
    const int64_t rank = static_cast<int64_t>(x->dims.size());
    int64_t axis = int_attribute(node, "axis", 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || (x->dims[axis] >= 0 && x->dims[axis] != static_cast<int64_t>(count))) return std::nullopt;
    q.axis = static_cast<int>(axis);
  }
  return q;
}

}  // namespace kiln
