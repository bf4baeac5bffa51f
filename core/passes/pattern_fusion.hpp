// Pattern fusion: chains of nodes matching a fused-pattern kernel's steps become one fused node.
//
// A chain p[0] -> p[1] -> ... matches a kernel's pattern when each node's domain and op_type are what its
// step names (steps flagged KILN_PATTERN_OPTIONAL may be absent), each p[k>0] reads the single output of
// p[k-1] at the step's chained_input (-1: any position), and that intermediate output has no other reader and
// is no graph output. The fused node then has:
//   op_type, domain  the kernel's; opset: the model's opset of that domain;
//   pattern          the original nodes, in chain order, absent optional steps left out (a kernel tells which
//                    steps are present by their op_type, read through node_pattern_step);
//   inputs           per original node in chain order, its input positions other than the chained one
//                    (omitted optional positions kept as omitted), as plugin.h specifies;
//   outputs          the last original node's; attributes: none (kernels read each step's).
// The kernel selector must then choose a kernel for it (preference lists, dtypes, layouts, opset and the
// kernel's check all apply, as for any node); otherwise the chain stays as it was. Kernels with longer
// patterns are tried first, so the longest fusion wins. Intermediate values stay in the graph, named only by
// the pattern steps (their shapes are what a kernel's check may read).
#ifndef KILN_CORE_PATTERN_FUSION_HPP
#define KILN_CORE_PATTERN_FUSION_HPP

#include <cstddef>
#include <map>
#include <string>

#include "passes/pass_manager.hpp"

namespace kiln {

struct PatternFusionResult {
  size_t fused = 0;                       // fused nodes made
  size_t replaced = 0;                    // original nodes they stand for
  std::map<std::string, size_t> by_op;    // fused nodes per fused op ("ConvAct" -> 8)
};

PatternFusionResult fuse_patterns(Graph& graph, const PassContext& context);
Pass pattern_fusion_pass();

}  // namespace kiln

#endif  // KILN_CORE_PATTERN_FUSION_HPP
