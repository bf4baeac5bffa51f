// Constant folding: a node whose every input is a constant (an initializer or an earlier folded value) runs
// once, at build time, through its selected kernel — so custom ops fold like any other — and its outputs
// become constants. Kernels flagged KILN_KERNEL_NO_FOLD (random or stateful ops) never fold.
#ifndef KILN_CORE_CONSTANT_FOLDING_HPP
#define KILN_CORE_CONSTANT_FOLDING_HPP

#include <cstddef>

#include "passes/pass_manager.hpp"

namespace kiln {

struct ConstantFoldingResult {
  size_t nodes = 0;      // folded away
  size_t constants = 0;  // values they left behind as constants
};

// Also refines every selectable node's output shapes with its kernel's shape function (as the engine would),
// so a folded value's dtype and shape are known to the nodes after it.
ConstantFoldingResult fold_constants(Graph& graph, const PassContext& context);
Pass constant_folding_pass();

}  // namespace kiln

#endif  // KILN_CORE_CONSTANT_FOLDING_HPP
