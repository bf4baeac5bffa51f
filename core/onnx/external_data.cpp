#include "onnx/external_data.hpp"

#include <onnx/onnx_pb.h>

#include <charconv>
#include <fstream>
#include <optional>
#include <system_error>

#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kiln {

namespace {

// Text from the model as it can be shown: control bytes (a NUL would cut the message short) as \xNN.
std::string printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
    } else {
      static const char* const hex = "0123456789abcdef";
      out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
    }
  }
  return out;
}

struct ExternalDataEntries {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
};

// A decimal byte count; std::stoull would accept "-1" (as 2^64-1) and trailing garbage.
uint64_t parse_byte_count(const std::string& key, const std::string& text, const std::string& what) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || stop != end)
    throw Error(what + ": external data '" + key + "' is not a byte count: '" + printable(text) + "'");
  return value;
}

ExternalDataEntries read_entries(const onnx::TensorProto& proto, const std::string& what) {
  ExternalDataEntries entries;
  for (const auto& entry : proto.external_data()) {
    if (entry.key() == "location") entries.location = entry.value();
    else if (entry.key() == "offset") entries.offset = parse_byte_count(entry.key(), entry.value(), what);
    else if (entry.key() == "length") entries.length = parse_byte_count(entry.key(), entry.value(), what);
  }
  if (entries.location.empty()) throw Error(what + ": external data has no 'location'");
  return entries;
}

// True when `path` lies below `base` (both canonical).
bool is_inside(const fs::path& path, const fs::path& base) {
  const fs::path relative = path.lexically_relative(base);
  return !relative.empty() && *relative.begin() != ".." && relative != ".";
}

std::string location_message(const std::string& what, const std::string& location, const std::string& problem) {
  return what + ": external data location '" + printable(location) + "' " + problem;
}

}  // namespace

fs::path confined_external_path(const std::string& location, const std::string& model_dir, const std::string& what) {
  // An embedded NUL would make the path checked here and the path the OS opens differ.
  if (location.find('\0') != std::string::npos) throw Error(location_message(what, location, "contains a NUL byte"));
  const fs::path relative(location);
  if (relative.is_absolute())
    throw Error(location_message(what, location, "is absolute; it must be relative to the model's folder"));
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(fs::absolute(model_dir.empty() ? "." : model_dir, ec), ec);
  if (ec) throw Error(what + ": cannot resolve the model's folder '" + model_dir + "': " + ec.message());
  // weakly_canonical follows every symlink that exists, so a link inside the folder that points out is caught.
  const fs::path target = fs::weakly_canonical(base / relative, ec);
  if (ec) throw Error(location_message(what, location, "cannot be resolved: " + ec.message()));
  if (!is_inside(target, base))
    throw Error(location_message(what, location, "escapes the model's folder " + base.string() + " (it resolves to " +
                                                     target.string() + ")"));
  return target;
}

ExternalData locate_external_data(const onnx::TensorProto& proto, const std::string& model_dir,
                                  const std::string& what, size_t bytes) {
  const ExternalDataEntries entries = read_entries(proto, what);
  if (entries.length && *entries.length != bytes)
    throw Error(what + ": external data 'length' is " + std::to_string(*entries.length) +
                " bytes, but its dims need " + std::to_string(bytes));
  ExternalData data{confined_external_path(entries.location, model_dir, what), entries.offset};
  const std::string file =
      " external data file " + data.file.string() + " (location '" + printable(entries.location) + "')";
  std::error_code ec;
  if (!fs::exists(data.file, ec)) throw Error(what + ":" + file + " does not exist");
  if (!fs::is_regular_file(data.file, ec)) throw Error(what + ":" + file + " is not a regular file");
  const uintmax_t size = fs::file_size(data.file, ec);
  if (ec) throw Error(what + ": cannot read" + file + ": " + ec.message());
  if (data.offset > size || size - data.offset < bytes)
    throw Error(what + ":" + file + " holds " + std::to_string(size) + " bytes, too few for " + std::to_string(bytes) +
                " bytes at offset " + std::to_string(data.offset));
  return data;
}

void read_external_data(const ExternalData& data, void* out, size_t bytes, const std::string& what) {
  std::ifstream in(data.file, std::ios::binary);
  if (!in) throw Error(what + ": cannot open external data file " + data.file.string());
  in.seekg(static_cast<std::streamoff>(data.offset));
  if (!in.read(static_cast<char*>(out), static_cast<std::streamsize>(bytes)))
    throw Error(what + ": short read from external data file " + data.file.string() + " (" + std::to_string(bytes) +
                " bytes at offset " + std::to_string(data.offset) + ")");
}

}  // namespace kiln
