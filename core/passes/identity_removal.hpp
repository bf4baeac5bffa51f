// Identity removal: a node whose selected kernel is flagged KILN_KERNEL_IDENTITY (and whose check accepted
// it) passes input 0 through unchanged, so its consumers can read input 0 directly.
#ifndef KILN_CORE_IDENTITY_REMOVAL_HPP
#define KILN_CORE_IDENTITY_REMOVAL_HPP

#include <cstddef>

#include "passes/pass_manager.hpp"

namespace kiln {

struct IdentityRemovalResult {
  size_t removed = 0;
  // Left in place because their output is a graph output whose name must stay and their input is a graph
  // input, a constant or another graph output (no producer could take the output's name over).
  size_t kept = 0;
};

IdentityRemovalResult remove_identities(Graph& graph, const PassContext& context);
Pass identity_removal_pass();

}  // namespace kiln

#endif  // KILN_CORE_IDENTITY_REMOVAL_HPP
