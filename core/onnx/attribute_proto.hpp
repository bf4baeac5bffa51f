// onnx::AttributeProto -> kiln::Attribute.
#ifndef KILN_CORE_ONNX_ATTRIBUTE_PROTO_HPP
#define KILN_CORE_ONNX_ATTRIBUTE_PROTO_HPP

#include <string>

#include "ir/attribute.hpp"

namespace onnx {
class AttributeProto;
}

namespace kiln {

// Converts one attribute; `model_dir` resolves a tensor's external data, `what` names the attribute in
// messages. Kinds the plugin ABI cannot express (subgraphs, lists of tensors, sparse tensors, type protos,
// tensors of types kiln cannot hold) become KILN_ATTR_GRAPH: present, but not readable by kernels.
// Throws kiln::Error for a function's attribute reference ('ref_attr_name') or an attribute with no value.
Attribute attribute_from_proto(const onnx::AttributeProto& proto, const std::string& model_dir,
                               const std::string& what);

}  // namespace kiln

#endif  // KILN_CORE_ONNX_ATTRIBUTE_PROTO_HPP
