// How many bytes each value needs at the largest input shapes the plan must serve: the memory planner reserves
// that much. Found by walking the layers with their kernels' shape functions, so custom ops size too.
#ifndef KILN_CORE_VALUE_BOUNDS_HPP
#define KILN_CORE_VALUE_BOUNDS_HPP

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/engine_plan.hpp"

namespace kiln {

// By position in graph.values(); nullopt where a shape depends on data the builder does not have. Assumes a
// value's size grows with the input dims (true of every shape function that maps dims through sums and
// products); the engine checks each output against its bound at run time all the same.
std::vector<std::optional<size_t>> value_byte_bounds(const Graph& graph, const std::vector<Layer>& layers,
                                                     const std::map<std::string, std::vector<int64_t>>& largest_inputs);

}  // namespace kiln

#endif  // KILN_CORE_VALUE_BOUNDS_HPP
