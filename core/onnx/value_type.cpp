#include "onnx/value_type.hpp"

#include <onnx/onnx_pb.h>

#include "util/error.hpp"

namespace kiln {

namespace {

const char* type_kind_name(const onnx::TypeProto& type) {
  switch (type.value_case()) {
    case onnx::TypeProto::kSequenceType: return "a sequence";
    case onnx::TypeProto::kMapType: return "a map";
    case onnx::TypeProto::kOptionalType: return "an optional";
    case onnx::TypeProto::kSparseTensorType: return "a sparse tensor";
    default: return "not a tensor";
  }
}

int64_t dim_size(const onnx::TensorShapeProto::Dimension& dim) {
  return dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value() : -1;
}

std::string dim_symbol(const onnx::TensorShapeProto::Dimension& dim) {
  return dim.has_dim_param() ? dim.dim_param() : "";
}

void set_shape(Value& value, const onnx::TensorShapeProto& shape) {
  value.has_shape = true;
  value.dims.clear();
  value.symbols.clear();
  for (const auto& dim : shape.dim()) {
    value.dims.push_back(dim_size(dim));
    value.symbols.push_back(dim_symbol(dim));
  }
}

// Unknown dims of `value` take the inferred size or symbol; known ones stay.
void refine_dims(Value& value, const onnx::TensorShapeProto& shape) {
  value.symbols.resize(value.dims.size());
  for (size_t i = 0; i < value.dims.size(); ++i) {
    const auto& dim = shape.dim(static_cast<int>(i));
    if (value.dims[i] < 0) value.dims[i] = dim_size(dim);
    if (value.dims[i] < 0 && value.symbols[i].empty()) value.symbols[i] = dim_symbol(dim);
  }
}

}  // namespace

void declare_value_type(Value& value, const onnx::TypeProto& type, const std::string& source) {
  if (type.value_case() == onnx::TypeProto::VALUE_NOT_SET) return;
  if (!type.has_tensor_type())
    throw Unsupported(source + ": value '" + value.name + "' is " + type_kind_name(type) +
                      "; kiln's IR holds only tensors");
  const onnx::TypeProto::Tensor& tensor = type.tensor_type();
  if (tensor.elem_type() != 0) value.dtype = static_cast<DataType>(tensor.elem_type());
  if (tensor.has_shape()) set_shape(value, tensor.shape());
}

void merge_inferred_type(Value& value, const onnx::TypeProto& type) {
  if (value.constant || !type.has_tensor_type()) return;
  const onnx::TypeProto::Tensor& tensor = type.tensor_type();
  if (value.dtype == KILN_DTYPE_UNDEFINED && tensor.elem_type() != 0)
    value.dtype = static_cast<DataType>(tensor.elem_type());
  if (!tensor.has_shape()) return;
  if (!value.has_shape) set_shape(value, tensor.shape());
  else if (static_cast<int>(value.dims.size()) == tensor.shape().dim_size()) refine_dims(value, tensor.shape());
}

}  // namespace kiln
