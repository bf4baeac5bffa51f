#include "util/npy.hpp"

#include <cstring>
#include <fstream>
#include <map>

#include "util/error.hpp"

namespace kiln {

namespace {

const std::map<std::string, DataType>& descr_table() {
  static const std::map<std::string, DataType> table = {
      {"<f4", KILN_DTYPE_FLOAT32}, {"<f8", KILN_DTYPE_FLOAT64}, {"<f2", KILN_DTYPE_FLOAT16},
      {"|i1", KILN_DTYPE_INT8},    {"<i2", KILN_DTYPE_INT16},   {"<i4", KILN_DTYPE_INT32},
      {"<i8", KILN_DTYPE_INT64},   {"|u1", KILN_DTYPE_UINT8},   {"<u2", KILN_DTYPE_UINT16},
      {"<u4", KILN_DTYPE_UINT32},  {"<u8", KILN_DTYPE_UINT64},  {"|b1", KILN_DTYPE_BOOL}};
  return table;
}

// The value of `'key': value` in the header dict, as text.
std::string header_field(const std::string& header, const std::string& key, const std::string& path) {
  const size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) throw Error(path + ": .npy header lacks '" + key + "'");
  size_t start = header.find(':', at);
  if (start == std::string::npos) throw Error(path + ": malformed .npy header");
  ++start;
  while (start < header.size() && header[start] == ' ') ++start;
  size_t end = start;
  if (start < header.size() && header[start] == '(') end = header.find(')', start) + 1;
  else end = header.find_first_of(",}", start);
  if (end == std::string::npos || end <= start) throw Error(path + ": malformed .npy header field '" + key + "'");
  return header.substr(start, end - start);
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& path) {
  std::vector<int64_t> dims;
  std::string number;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      number += c;
    } else if (!number.empty()) {
      dims.push_back(std::stoll(number));
      number.clear();
    } else if (c != '(' && c != ')' && c != ',' && c != ' ' && c != 'L') {
      throw Error(path + ": malformed .npy shape " + text);
    }
  }
  if (!number.empty()) dims.push_back(std::stoll(number));
  return dims;
}

}  // namespace

Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open .npy file");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw Error(path + ": not a .npy file");
  const int major = static_cast<unsigned char>(magic[6]);
  uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) throw Error(path + ": truncated .npy header");
    header_len = b[0] | (b[1] << 8u);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) throw Error(path + ": truncated .npy header");
    header_len = b[0] | (b[1] << 8u) | (b[2] << 16u) | (static_cast<uint32_t>(b[3]) << 24u);
  } else {
    throw Error(path + ": unsupported .npy version " + std::to_string(major));
  }
  if (header_len > (1u << 20)) throw Error(path + ": .npy header too large");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) throw Error(path + ": truncated .npy header");
  std::string descr = header_field(header, "descr", path);
  if (descr.size() >= 2) descr = descr.substr(1, descr.size() - 2);  // strip quotes
  if (descr.size() == 3 && descr[0] == '=') descr[0] = '<';
  auto it = descr_table().find(descr);
  if (it == descr_table().end())
    throw Error(path + ": unsupported .npy dtype '" + descr + "' (kiln reads little-endian numeric and bool)");
  if (header_field(header, "fortran_order", path).rfind("False", 0) != 0)
    throw Error(path + ": Fortran-ordered .npy arrays are not supported; save with C order");
  Tensor t(it->second, parse_shape(header_field(header, "shape", path), path));
  if (!in.read(static_cast<char*>(t.data()), static_cast<std::streamsize>(t.bytes())))
    throw Error(path + ": .npy data is shorter than its shape " + t.describe() + " needs");
  return t;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  std::string descr;
  for (const auto& [d, dtype] : descr_table())
    if (dtype == tensor.dtype()) descr = d;
  if (descr.empty()) throw Error(path + ": cannot write dtype " + dtype_name(tensor.dtype()) + " to .npy");
  std::string shape = "(";
  for (int64_t d : tensor.dims()) shape += std::to_string(d) + ", ";
  if (tensor.rank() > 1) shape.resize(shape.size() - 1);
  if (tensor.rank() > 1) shape.back() = ')';
  else if (tensor.rank() == 1) shape = shape.substr(0, shape.size() - 1) + ")";
  else shape += ")";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64 bytes.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(path + ": cannot write .npy file");
  out.write("\x93NUMPY\x01\x00", 8);
  const unsigned char len[2] = {static_cast<unsigned char>(header.size() & 0xFF),
                                static_cast<unsigned char>(header.size() >> 8)};
  out.write(reinterpret_cast<const char*>(len), 2);
  out << header;
  out.write(static_cast<const char*>(tensor.data()), static_cast<std::streamsize>(tensor.bytes()));
  if (!out) throw Error(path + ": write failed");
}

}  // namespace kiln
