// A node attribute: one of ONNX's attribute kinds, held by value.
#ifndef KILN_CORE_ATTRIBUTE_HPP
#define KILN_CORE_ATTRIBUTE_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "ir/tensor.hpp"

namespace kiln {

struct Attribute {
  kiln_attr_kind kind = KILN_ATTR_NONE;  // KILN_ATTR_GRAPH: a subgraph, kept only by name
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;
  Tensor tensor;
};

}  // namespace kiln

#endif  // KILN_CORE_ATTRIBUTE_HPP
