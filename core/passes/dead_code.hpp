// Dead-code elimination: nodes none of whose outputs reach a graph output, and values nothing uses anymore.
#ifndef KILN_CORE_DEAD_CODE_HPP
#define KILN_CORE_DEAD_CODE_HPP

#include <cstddef>

#include "passes/pass_manager.hpp"

namespace kiln {

struct DeadCodeResult {
  size_t nodes = 0;   // removed
  size_t values = 0;  // removed, unused initializers included
};

DeadCodeResult eliminate_dead_code(Graph& graph);
Pass dead_code_pass();

}  // namespace kiln

#endif  // KILN_CORE_DEAD_CODE_HPP
