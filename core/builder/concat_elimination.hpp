// Concat elimination, decided while planning memory: when a kernel declares KILN_KERNEL_CONCAT and every input
// of such a layer comes from a kernel that declares KILN_KERNEL_STRIDED_OUTPUT (and is read by nothing else),
// the producers write straight into their slices of the concat's output and the concat layer does nothing.
// The planner allocates the output once; each input becomes a strided view into it.
#ifndef KILN_CORE_CONCAT_ELIMINATION_HPP
#define KILN_CORE_CONCAT_ELIMINATION_HPP

#include <optional>
#include <vector>

#include "runtime/engine_plan.hpp"

namespace kiln {

struct ConcatSlice {
  size_t value = 0;                // the input value (index in graph values), now a view
  int producer = 0;                // the layer that writes it
  size_t byte_offset = 0;          // from the start of the concat's output
  std::vector<int64_t> strides;    // in elements: the output's dense strides
};

struct EliminatedConcat {
  int layer = 0;        // the concat layer, which no longer runs a kernel
  size_t output = 0;    // its output value
  std::vector<ConcatSlice> slices;
};

// The concats of `plan` that can be eliminated. Needs every involved shape fixed (no profile range) and the
// output's size bounded; `bounds` is by value index.
std::vector<EliminatedConcat> find_eliminable_concats(const EnginePlan& plan,
                                                      const std::vector<std::optional<size_t>>& bounds);

// Whether layer `index` of an engine's plan is an eliminated concat: its kernel declares KILN_KERNEL_CONCAT and
// its inputs are all views into its output.
bool is_eliminated_concat(const EnginePlan& plan, size_t index, const std::vector<int>& input_values,
                          int output_value);

}  // namespace kiln

#endif  // KILN_CORE_CONCAT_ELIMINATION_HPP
