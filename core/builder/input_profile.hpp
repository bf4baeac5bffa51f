// The config's `profile:` applied to a graph's inputs: a dim whose min and max agree is fixed, the others stay
// unknown (-1) so that nothing is folded or specialised for one batch size.
#ifndef KILN_CORE_INPUT_PROFILE_HPP
#define KILN_CORE_INPUT_PROFILE_HPP

#include "config/build_config.hpp"
#include "ir/graph.hpp"

namespace kiln {

// Throws kiln::Error at the profile entry's file:line:column when it names no graph input, has another rank
// than the input, or excludes a dim the model fixes.
void apply_input_profile(Graph& graph, const std::map<std::string, ShapeRange>& profile);

// The largest shape each graph input may take: the profile's max, else the declared dims. Empty for an input
// whose largest shape is unknown.
std::map<std::string, std::vector<int64_t>> largest_input_shapes(const Graph& graph,
                                                                 const std::map<std::string, ShapeRange>& profile);

}  // namespace kiln

#endif  // KILN_CORE_INPUT_PROFILE_HPP
