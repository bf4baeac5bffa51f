#include "ir/dtype.hpp"

namespace kiln {

size_t dtype_size(DataType dtype) {
  switch (dtype) {
    case KILN_DTYPE_BOOL:
    case KILN_DTYPE_UINT8:
    case KILN_DTYPE_INT8: return 1;
    case KILN_DTYPE_UINT16:
    case KILN_DTYPE_INT16:
    case KILN_DTYPE_FLOAT16:
    case KILN_DTYPE_BFLOAT16: return 2;
    case KILN_DTYPE_UINT32:
    case KILN_DTYPE_INT32:
    case KILN_DTYPE_FLOAT32: return 4;
    case KILN_DTYPE_UINT64:
    case KILN_DTYPE_INT64:
    case KILN_DTYPE_FLOAT64: return 8;
    default: return 0;
  }
}

std::string dtype_name(DataType dtype) {
  switch (dtype) {
    case KILN_DTYPE_FLOAT32: return "float32";
    case KILN_DTYPE_UINT8: return "uint8";
    case KILN_DTYPE_INT8: return "int8";
    case KILN_DTYPE_UINT16: return "uint16";
    case KILN_DTYPE_INT16: return "int16";
    case KILN_DTYPE_INT32: return "int32";
    case KILN_DTYPE_INT64: return "int64";
    case KILN_DTYPE_STRING: return "string";
    case KILN_DTYPE_BOOL: return "bool";
    case KILN_DTYPE_FLOAT16: return "float16";
    case KILN_DTYPE_FLOAT64: return "float64";
    case KILN_DTYPE_UINT32: return "uint32";
    case KILN_DTYPE_UINT64: return "uint64";
    case KILN_DTYPE_BFLOAT16: return "bfloat16";
    case KILN_DTYPE_UNDEFINED: return "undefined";
    default: return "dtype(" + std::to_string(dtype) + ")";
  }
}

}  // namespace kiln
