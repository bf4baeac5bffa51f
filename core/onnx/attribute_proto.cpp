#include "onnx/attribute_proto.hpp"

#include <onnx/onnx_pb.h>

#include "onnx/onnx_import.hpp"
#include "util/error.hpp"

namespace kiln {

namespace {

using onnx::AttributeProto;

// Models from before IR version 2 leave `type` unset; the field that holds a value says which kind it is.
AttributeProto::AttributeType kind_from_fields(const AttributeProto& a) {
  if (a.floats_size()) return AttributeProto::FLOATS;
  if (a.ints_size()) return AttributeProto::INTS;
  if (a.strings_size()) return AttributeProto::STRINGS;
  if (a.tensors_size()) return AttributeProto::TENSORS;
  if (a.graphs_size()) return AttributeProto::GRAPHS;
  if (a.has_f()) return AttributeProto::FLOAT;
  if (a.has_i()) return AttributeProto::INT;
  if (a.has_s()) return AttributeProto::STRING;
  if (a.has_t()) return AttributeProto::TENSOR;
  if (a.has_g()) return AttributeProto::GRAPH;
  return AttributeProto::UNDEFINED;
}

// A tensor attribute; one kiln cannot hold (strings, complex, 8-bit floats...) stays present but unreadable,
// so that only a kernel that needs it fails, and says which attribute.
void convert_tensor(Attribute& out, const AttributeProto& a, const std::string& model_dir, const std::string& what) {
  try {
    out.tensor = tensor_from_proto(a.t(), model_dir, what);
    out.kind = KILN_ATTR_TENSOR;
  } catch (const Unsupported&) {
    out.kind = KILN_ATTR_GRAPH;
  }
}

}  // namespace

Attribute attribute_from_proto(const AttributeProto& a, const std::string& model_dir, const std::string& what) {
  if (!a.ref_attr_name().empty())
    throw Error(what + " refers to function attribute '" + a.ref_attr_name() +
                "' ('ref_attr_name'), which is only valid inside a function body");
  const AttributeProto::AttributeType type = a.type() == AttributeProto::UNDEFINED ? kind_from_fields(a) : a.type();
  Attribute out;
  switch (type) {
    case AttributeProto::FLOAT: out.kind = KILN_ATTR_FLOAT; out.f = a.f(); break;
    case AttributeProto::INT: out.kind = KILN_ATTR_INT; out.i = a.i(); break;
    case AttributeProto::STRING: out.kind = KILN_ATTR_STRING; out.s = a.s(); break;
    case AttributeProto::TENSOR: convert_tensor(out, a, model_dir, what); break;
    case AttributeProto::FLOATS:
      out.kind = KILN_ATTR_FLOATS;
      out.floats.assign(a.floats().begin(), a.floats().end());
      break;
    case AttributeProto::INTS:
      out.kind = KILN_ATTR_INTS;
      out.ints.assign(a.ints().begin(), a.ints().end());
      break;
    case AttributeProto::STRINGS:
      out.kind = KILN_ATTR_STRINGS;
      out.strings.assign(a.strings().begin(), a.strings().end());
      break;
    case AttributeProto::UNDEFINED: throw Error(what + " has no type and no value");
    default:  // GRAPH(S), TENSORS, SPARSE_TENSOR(S), TYPE_PROTO(S): beyond plugin ABI v1.0
      out.kind = KILN_ATTR_GRAPH;
      break;
  }
  return out;
}

}  // namespace kiln
