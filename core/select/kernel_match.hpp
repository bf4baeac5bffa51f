// What a kernel's descriptor and its check hook say of one node, apart from any config: whether the node's
// inputs and outputs fit the declared io specs, and whether check accepts it. Kernel selection and
// `kiln plugin check` both ask these.
#ifndef KILN_CORE_KERNEL_MATCH_HPP
#define KILN_CORE_KERNEL_MATCH_HPP

#include <string>

#include "ir/graph.hpp"

namespace kiln {

// Why the node's inputs and outputs (dtypes, layouts, omitted positions, counts) do not fit the kernel's io
// specs, or "" when they do.
std::string io_mismatch(const kiln_kernel_desc& kernel, const Node& node);

// "float32, float16": the dtypes of a KILN_DTYPE_BIT mask ("none" when empty).
std::string dtype_list(uint64_t mask);

// What the kernel's check hook (if any) says of `node`.
struct CheckVerdict {
  enum Kind { Accepted, Declined, Failed };
  Kind kind = Accepted;
  std::string reason;  // the decline's reason, or the plugin's error message
};
CheckVerdict check_node(const kiln_kernel_desc& kernel, const Node& node);

}  // namespace kiln

#endif  // KILN_CORE_KERNEL_MATCH_HPP
