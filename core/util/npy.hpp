// NumPy .npy files <-> Tensors (format versions 1-3 read, version 1 written; little-endian, C order).
#ifndef KILN_CORE_NPY_HPP
#define KILN_CORE_NPY_HPP

#include <string>

#include "ir/tensor.hpp"

namespace kiln {

// Throws kiln::Error naming the file and what is wrong (bad magic, Fortran order, unsupported dtype, short data).
Tensor read_npy(const std::string& path);
void write_npy(const std::string& path, const Tensor& tensor);

}  // namespace kiln

#endif  // KILN_CORE_NPY_HPP
