// An attribute between the IR (ir/attribute.hpp, a Tensor) and a plan file (PlanAttribute, a PlanTensor): the
// same fields, with the tensor converted by the caller's function.
#ifndef KILN_CORE_ATTRIBUTE_CONVERSION_HPP
#define KILN_CORE_ATTRIBUTE_CONVERSION_HPP

#include "kiln/plugin.h"

namespace kiln {

template <class To, class From, class ConvertTensor>
To convert_attribute(const From& a, ConvertTensor convert_tensor) {
  To out;
  out.kind = a.kind;
  out.i = a.i;
  out.f = a.f;
  out.s = a.s;
  out.ints = a.ints;
  out.floats = a.floats;
  out.strings = a.strings;
  if (a.kind == KILN_ATTR_TENSOR) out.tensor = convert_tensor(a.tensor);
  return out;
}

}  // namespace kiln

#endif  // KILN_CORE_ATTRIBUTE_CONVERSION_HPP
