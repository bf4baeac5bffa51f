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

// Attributes made in code: the builder's own nodes (a Cast's `to`) and graphs built by hand in tests.
inline Attribute int_attr(int64_t v) {
  Attribute a;
  a.kind = KILN_ATTR_INT;
  a.i = v;
  return a;
}
inline Attribute float_attr(float v) {
  Attribute a;
  a.kind = KILN_ATTR_FLOAT;
  a.f = v;
  return a;
}
inline Attribute ints_attr(std::vector<int64_t> v) {
  Attribute a;
  a.kind = KILN_ATTR_INTS;
  a.ints = std::move(v);
  return a;
}
inline Attribute floats_attr(std::vector<float> v) {
  Attribute a;
  a.kind = KILN_ATTR_FLOATS;
  a.floats = std::move(v);
  return a;
}
inline Attribute string_attr(std::string v) {
  Attribute a;
  a.kind = KILN_ATTR_STRING;
  a.s = std::move(v);
  return a;
}

}  // namespace kiln

#endif  // KILN_CORE_ATTRIBUTE_HPP
