// Element types of the IR: the plugin ABI's kiln_dtype (ONNX's TensorProto.DataType numbers).
#ifndef KILN_CORE_DTYPE_HPP
#define KILN_CORE_DTYPE_HPP

#include <cstddef>
#include <string>

#include "kiln/plugin.h"

namespace kiln {

using DataType = kiln_dtype;

// Bytes per element; 0 for types the core cannot hold (string, undefined).
size_t dtype_size(DataType dtype);
// "float32", "int64", ...; "dtype(<n>)" for numbers kiln does not know.
std::string dtype_name(DataType dtype);

}  // namespace kiln

#endif  // KILN_CORE_DTYPE_HPP
