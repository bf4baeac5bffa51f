// Values stored as the builder may store them (core/builder/layout_assignment.hpp): a 4-D value channels-last
// (NHWC) keeps its logical N,C,H,W dims and carries NHWC strides. The reference always runs linear; a checked
// kernel that declares NHWC at a position also gets its cases stored so there.
#ifndef KILN_CHECK_STORED_LAYOUT_HPP
#define KILN_CHECK_STORED_LAYOUT_HPP

#include "runtime/layer_execution.hpp"

namespace kiln::check {

// `dense`'s values stored in `layout` on the host: for NHWC (4-D), a channels-last copy with NHWC strides;
// otherwise `dense` itself.
Tensor stored_as(const Tensor& dense, kiln_layout layout);

// A host output shaped `shape`, stored in `layout`, filled with poison (undefined dtype: an empty tensor).
Tensor poisoned_as(const OutputShape& shape, kiln_layout layout);

// The storage a node's input or output value has (linear for an omitted one).
inline kiln_layout layout_of(const Value* v) { return v ? v->layout : KILN_LAYOUT_LINEAR; }

}  // namespace kiln::check

#endif  // KILN_CHECK_STORED_LAYOUT_HPP
