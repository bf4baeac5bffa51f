// ONNX TypeProto -> a Value's dtype and shape: the types a model declares, and what shape inference adds.
#ifndef KILN_CORE_ONNX_VALUE_TYPE_HPP
#define KILN_CORE_ONNX_VALUE_TYPE_HPP

#include <string>

#include "ir/graph.hpp"

namespace onnx {
class TypeProto;
}

namespace kiln {

// Records a declared type (graph input/output or value_info) on `value`, replacing what it had; dims without
// a value become -1, keeping a dim_param as the symbol. Throws kiln::Unsupported naming `source` and the value
// when the type is not a tensor (sequence, map, optional, sparse tensor): kiln's IR holds only tensors.
void declare_value_type(Value& value, const onnx::TypeProto& type, const std::string& source);

// Fills in what `value` does not know yet from an inferred type: the dtype when undefined, the shape when the
// rank is unknown, and single unknown dims (and symbols) when the ranks agree. Never overrides known facts, and
// ignores non-tensor types.
void merge_inferred_type(Value& value, const onnx::TypeProto& type);

}  // namespace kiln

#endif  // KILN_CORE_ONNX_VALUE_TYPE_HPP
