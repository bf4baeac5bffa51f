// onnx::TensorProto -> kiln::Tensor: raw_data, the typed repeated fields, and external data files. Sizes are
// checked against the dims before anything is allocated, so a lying header cannot exhaust memory.
#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>
#include <limits>

#include "onnx/external_data.hpp"
#include "onnx/onnx_import.hpp"
#include "onnx/protobuf_file.hpp"
#include "util/error.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "raw_data is little-endian and is copied as is");

namespace kiln {

namespace {

// ONNX's name for element types kiln cannot hold (libonnx 1.12's enum stops at BFLOAT16).
std::string onnx_type_name(int32_t type) {
  static const char* const names[] = {
      "UNDEFINED", "FLOAT",     "UINT8",    "INT8",         "UINT16",         "INT16",      "INT32",
      "INT64",     "STRING",    "BOOL",     "FLOAT16",      "DOUBLE",         "UINT32",     "UINT64",
      "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
      "UINT4",     "INT4",      "FLOAT4E2M1"};
  const std::string number = "(" + std::to_string(type) + ")";
  if (type >= 0 && type < static_cast<int32_t>(std::size(names))) return names[type] + (" " + number);
  return number;
}

DataType checked_dtype(const onnx::TensorProto& proto, const std::string& what) {
  const DataType dtype = static_cast<DataType>(proto.data_type());
  if (dtype == KILN_DTYPE_STRING) throw Unsupported(what + ": string tensors are not supported");
  if (dtype_size(dtype) == 0)
    throw Unsupported(what + ": element type " + onnx_type_name(proto.data_type()) + " is not supported");
  return dtype;
}

std::vector<int64_t> checked_dims(const onnx::TensorProto& proto, const std::string& what) {
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  for (int64_t d : dims)
    if (d < 0) throw Error(what + ": negative dimension in dims " + format_dims(dims));
  return dims;
}

// Element count of `dims`, refusing counts whose byte size would not fit in memory's address range.
size_t element_count(const std::vector<int64_t>& dims, size_t element_size, const std::string& what) {
  const uint64_t limit = std::numeric_limits<int64_t>::max() / element_size;
  uint64_t count = 1;
  for (int64_t d : dims) {
    if (d != 0 && count > limit / static_cast<uint64_t>(d))
      throw Error(what + ": dims " + format_dims(dims) + " describe an impossibly large tensor");
    count *= static_cast<uint64_t>(d);
  }
  return static_cast<size_t>(count);
}

std::string size_mismatch(const std::string& what, const std::vector<int64_t>& dims, DataType dtype,
                          const std::string& holds, const std::string& needs) {
  return what + ": holds " + holds + ", but its dims " + format_dims(dims) + " of " + dtype_name(dtype) + " need " +
         needs;
}

// Copies a repeated field into a new tensor, converting each value to the element type. ONNX keeps narrow
// integers, bool and the 16-bit float bit patterns in int32_data, and uint32 in uint64_data.
template <class Element, class Field>
Tensor from_field(DataType dtype, const std::vector<int64_t>& dims, const Field& field, const char* field_name,
                  const std::string& what) {
  const size_t count = element_count(dims, sizeof(Element), what);
  if (static_cast<size_t>(field.size()) != count)
    throw Error(size_mismatch(what, dims, dtype, std::to_string(field.size()) + " values in " + field_name,
                              std::to_string(count)));
  Tensor t(dtype, dims);
  Element* out = t.as<Element>();
  for (int i = 0; i < field.size(); ++i) {
    if constexpr (std::is_same_v<Element, bool>) out[i] = field.Get(i) != 0;
    else out[i] = static_cast<Element>(field.Get(i));
  }
  return t;
}

Tensor from_typed_fields(DataType dtype, const std::vector<int64_t>& dims, const onnx::TensorProto& proto,
                         const std::string& what) {
  switch (dtype) {
    case KILN_DTYPE_FLOAT32: return from_field<float>(dtype, dims, proto.float_data(), "float_data", what);
    case KILN_DTYPE_FLOAT64: return from_field<double>(dtype, dims, proto.double_data(), "double_data", what);
    case KILN_DTYPE_INT64: return from_field<int64_t>(dtype, dims, proto.int64_data(), "int64_data", what);
    case KILN_DTYPE_UINT64: return from_field<uint64_t>(dtype, dims, proto.uint64_data(), "uint64_data", what);
    case KILN_DTYPE_UINT32: return from_field<uint32_t>(dtype, dims, proto.uint64_data(), "uint64_data", what);
    case KILN_DTYPE_INT32: return from_field<int32_t>(dtype, dims, proto.int32_data(), "int32_data", what);
    case KILN_DTYPE_INT16: return from_field<int16_t>(dtype, dims, proto.int32_data(), "int32_data", what);
    case KILN_DTYPE_INT8: return from_field<int8_t>(dtype, dims, proto.int32_data(), "int32_data", what);
    case KILN_DTYPE_UINT8: return from_field<uint8_t>(dtype, dims, proto.int32_data(), "int32_data", what);
    case KILN_DTYPE_BOOL: return from_field<bool>(dtype, dims, proto.int32_data(), "int32_data", what);
    case KILN_DTYPE_UINT16:
    case KILN_DTYPE_FLOAT16:
    case KILN_DTYPE_BFLOAT16: return from_field<uint16_t>(dtype, dims, proto.int32_data(), "int32_data", what);
    default: throw Unsupported(what + ": element type " + dtype_name(dtype) + " is not supported");
  }
}

// Bool bytes other than 0 and 1 are not valid `bool`s in C++; store them as 0/1.
void normalize_bools(Tensor& t) {
  if (t.dtype() != KILN_DTYPE_BOOL) return;
  auto* bytes = static_cast<uint8_t*>(t.data());
  for (size_t i = 0; i < t.bytes(); ++i) bytes[i] = bytes[i] != 0;
}

Tensor from_raw_data(DataType dtype, const std::vector<int64_t>& dims, const std::string& raw,
                     const std::string& what) {
  const size_t bytes = element_count(dims, dtype_size(dtype), what) * dtype_size(dtype);
  if (raw.size() != bytes)
    throw Error(size_mismatch(what, dims, dtype, std::to_string(raw.size()) + " bytes of raw_data",
                              std::to_string(bytes) + " bytes"));
  Tensor t(dtype, dims);
  if (bytes) std::memcpy(t.data(), raw.data(), bytes);
  normalize_bools(t);
  return t;
}

Tensor from_external_data(DataType dtype, const std::vector<int64_t>& dims, const onnx::TensorProto& proto,
                          const std::string& model_dir, const std::string& what) {
  const size_t bytes = element_count(dims, dtype_size(dtype), what) * dtype_size(dtype);
  const ExternalData data = locate_external_data(proto, model_dir, what, bytes);
  Tensor t(dtype, dims);
  read_external_data(data, t.data(), bytes, what);
  normalize_bools(t);
  return t;
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& model_dir, const std::string& what) {
  const DataType dtype = checked_dtype(proto, what);
  const std::vector<int64_t> dims = checked_dims(proto, what);
  if (proto.has_segment()) throw Unsupported(what + ": segmented tensors are not supported");
  if (proto.data_location() == onnx::TensorProto::EXTERNAL)
    return from_external_data(dtype, dims, proto, model_dir, what);
  if (proto.has_raw_data()) return from_raw_data(dtype, dims, proto.raw_data(), what);
  return from_typed_fields(dtype, dims, proto, what);
}

Tensor read_tensor_proto_file(const std::string& path) {
  onnx::TensorProto proto;
  if (!parse_protobuf_file(path, proto)) throw Error(path + ": not a serialized onnx.TensorProto");
  // A SequenceProto or OptionalProto parses as a TensorProto too: its elem_type lands in data_type and its
  // values in `segment`.
  if (proto.data_type() == 0 || proto.has_segment())
    throw Unsupported(path + ": not a plain tensor (an onnx.SequenceProto, MapProto or OptionalProto?)");
  return tensor_from_proto(proto, std::filesystem::path(path).parent_path().string(), path);
}

}  // namespace kiln
