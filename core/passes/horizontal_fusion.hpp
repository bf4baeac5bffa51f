// Horizontal fusion: sibling nodes that read the same input 0 and differ only in their constant inputs (the
// Inception towers' 1x1 convolutions) become one node that computes once, when their kernel declares
// KILN_KERNEL_STACKABLE. The merged node has:
//   inputs     input 0, then each constant input of the siblings stacked along axis 0 (a new constant);
//   pattern    for fused siblings, copies of the first sibling's steps reading the stacked constants;
//   attributes the first sibling's, plus INTS "kiln_stack": each sibling's axis-0 size of its first constant;
//   outputs    sibling i's output 0, for each sibling: the kernel splits its result, so nothing is copied.
// The selector must choose the same kernel for the merged node (its check may decline); else nothing changes.
#ifndef KILN_CORE_HORIZONTAL_FUSION_HPP
#define KILN_CORE_HORIZONTAL_FUSION_HPP

#include "passes/pass_manager.hpp"

namespace kiln {

struct HorizontalFusionResult {
  size_t merged = 0;    // merged nodes made
  size_t replaced = 0;  // sibling nodes they stand for
};

HorizontalFusionResult fuse_siblings(Graph& graph, const PassContext& context);

Pass horizontal_fusion_pass();

}  // namespace kiln

#endif  // KILN_CORE_HORIZONTAL_FUSION_HPP
