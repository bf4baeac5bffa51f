// onnx::TensorProto -> kiln::Tensor: raw_data, the typed repeated fields, and external data files.
#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "onnx/onnx_import.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kiln {

namespace {

void check_count(const std::string& what, const Tensor& t, size_t available, const char* field) {
  if (available != static_cast<size_t>(t.numel()))
    throw Error(what + ": " + field + " holds " + std::to_string(available) + " values, but its shape " +
                format_dims(t.dims()) + " needs " + std::to_string(t.numel()));
}

// Copies a repeated field into the tensor, converting each value to the tensor's element type.
template <class Element, class Field>
void copy_field(Tensor& t, const Field& field, const std::string& what, const char* name) {
  check_count(what, t, static_cast<size_t>(field.size()), name);
  Element* out = t.as<Element>();
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<Element>(field.Get(i));
}

// The typed field that holds data of `dtype` when raw_data is not used (see onnx.proto).
void copy_typed_fields(Tensor& t, const onnx::TensorProto& proto, const std::string& what) {
  switch (t.dtype()) {
    case KILN_DTYPE_FLOAT32: copy_field<float>(t, proto.float_data(), what, "float_data"); break;
    case KILN_DTYPE_FLOAT64: copy_field<double>(t, proto.double_data(), what, "double_data"); break;
    case KILN_DTYPE_INT64: copy_field<int64_t>(t, proto.int64_data(), what, "int64_data"); break;
    case KILN_DTYPE_UINT64: copy_field<uint64_t>(t, proto.uint64_data(), what, "uint64_data"); break;
    case KILN_DTYPE_UINT32: copy_field<uint32_t>(t, proto.uint64_data(), what, "uint64_data"); break;
    case KILN_DTYPE_INT32: copy_field<int32_t>(t, proto.int32_data(), what, "int32_data"); break;
    case KILN_DTYPE_INT16: copy_field<int16_t>(t, proto.int32_data(), what, "int32_data"); break;
    case KILN_DTYPE_UINT16:
    case KILN_DTYPE_FLOAT16:
    case KILN_DTYPE_BFLOAT16: copy_field<uint16_t>(t, proto.int32_data(), what, "int32_data"); break;
    case KILN_DTYPE_INT8: copy_field<int8_t>(t, proto.int32_data(), what, "int32_data"); break;
    case KILN_DTYPE_UINT8: copy_field<uint8_t>(t, proto.int32_data(), what, "int32_data"); break;
    case KILN_DTYPE_BOOL: {
      check_count(what, t, static_cast<size_t>(proto.int32_data_size()), "int32_data");
      for (int i = 0; i < proto.int32_data_size(); ++i) t.as<bool>()[i] = proto.int32_data(i) != 0;
      break;
    }
    default: throw Unsupported(what + ": tensors of type " + dtype_name(t.dtype()) + " are not supported");
  }
}

// The file an external-data tensor names, refused when it leaves the model's folder.
fs::path external_path(const std::string& location, const std::string& model_dir, const std::string& what) {
  if (location.empty()) throw Error(what + ": external data has no 'location'");
  const fs::path relative(location);
  if (relative.is_absolute())
    throw Error(what + ": external data location '" + location + "' is absolute; it must be relative to the model's folder");
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(fs::path(model_dir.empty() ? "." : model_dir), ec);
  const fs::path target = fs::weakly_canonical(base / relative, ec);
  const std::string base_text = base.string() + "/";
  if (ec || target.string().compare(0, base_text.size(), base_text) != 0)
    throw Error(what + ": external data location '" + location + "' escapes the model's folder " + base.string() +
                " (resolves to " + target.string() + ")");
  return target;
}

void read_external(Tensor& t, const onnx::TensorProto& proto, const std::string& model_dir, const std::string& what) {
  std::string location;
  uint64_t offset = 0, length = t.bytes();
  bool has_length = false;
  for (const auto& entry : proto.external_data()) {
    try {
      if (entry.key() == "location") location = entry.value();
      else if (entry.key() == "offset") offset = std::stoull(entry.value());
      else if (entry.key() == "length") {
        length = std::stoull(entry.value());
        has_length = true;
      }
    } catch (const std::exception&) {
      throw Error(what + ": external data '" + entry.key() + "' is not a number: '" + entry.value() + "'");
    }
  }
  const fs::path path = external_path(location, model_dir, what);
  if (has_length && length != t.bytes())
    throw Error(what + ": external data length " + std::to_string(length) + " disagrees with its shape " +
                format_dims(t.dims()) + " (" + std::to_string(t.bytes()) + " bytes)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(what + ": cannot open external data file " + path.string());
  in.seekg(static_cast<std::streamoff>(offset));
  if (!in.read(static_cast<char*>(t.data()), static_cast<std::streamsize>(t.bytes())))
    throw Error(what + ": external data file " + path.string() + " is too short for " + std::to_string(t.bytes()) +
                " bytes at offset " + std::to_string(offset));
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& model_dir, const std::string& what) {
  const DataType dtype = static_cast<DataType>(proto.data_type());
  if (dtype == KILN_DTYPE_STRING) throw Unsupported(what + ": string tensors are not supported");
  if (dtype_size(dtype) == 0)
    throw Unsupported(what + ": element type " + dtype_name(dtype) + " is not supported");
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  for (int64_t d : dims)
    if (d < 0) throw Error(what + ": negative dimension in shape " + format_dims(dims));
  if (proto.has_segment()) throw Unsupported(what + ": segmented tensors are not supported");
  Tensor t(dtype, dims);
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    read_external(t, proto, model_dir, what);
  } else if (proto.has_raw_data()) {
    if (proto.raw_data().size() != t.bytes())
      throw Error(what + ": raw_data holds " + std::to_string(proto.raw_data().size()) + " bytes, but its shape " +
                  format_dims(dims) + " of " + dtype_name(dtype) + " needs " + std::to_string(t.bytes()));
    if (t.bytes()) std::memcpy(t.data(), proto.raw_data().data(), t.bytes());
  } else {
    copy_typed_fields(t, proto, what);
  }
  return t;
}

Tensor read_tensor_proto_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open tensor file");
  onnx::TensorProto proto;
  if (!proto.ParseFromIstream(&in)) throw Error(path + ": not a serialized onnx.TensorProto");
  if (!proto.has_data_type() || proto.data_type() == 0)
    throw Unsupported(path + ": not a plain tensor (a sequence, map or optional value?)");
  return tensor_from_proto(proto, fs::path(path).parent_path().string(), path);
}

}  // namespace kiln
