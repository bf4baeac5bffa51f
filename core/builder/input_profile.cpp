#include "builder/input_profile.hpp"

#include "util/error.hpp"

namespace kiln {

namespace {

void check_range_fits(const Value& input, const ShapeRange& range) {
  const std::string where = range.where.str() + ": profile of input '" + input.name + "'";
  if (!input.has_shape) return;
  if (input.dims.size() != range.max.size())
    throw Error(where + " has rank " + std::to_string(range.max.size()) + " but the model declares " +
                input.describe());
  for (size_t i = 0; i < input.dims.size(); ++i)
    if (input.dims[i] >= 0 && (range.min[i] != input.dims[i] || range.max[i] != input.dims[i]))
      throw Error(where + ": dim " + std::to_string(i) + " is fixed to " + std::to_string(input.dims[i]) +
                  " by the model (" + input.describe() + ") but the profile ranges it from " +
                  std::to_string(range.min[i]) + " to " + std::to_string(range.max[i]));
}

}  // namespace

void apply_input_profile(Graph& graph, const std::map<std::string, ShapeRange>& profile) {
  for (const auto& [name, range] : profile) {
    Value* input = graph.find_input(name);
    if (!input)
      throw Error(range.where.str() + ": the profile names '" + name + "', which is not an input of the model (its " +
                  "inputs: " + graph.input_names() + ")");
    check_range_fits(*input, range);
    input->has_shape = true;
    input->dims.resize(range.max.size());
    input->symbols.resize(range.max.size());
    for (size_t i = 0; i < range.max.size(); ++i) input->dims[i] = range.min[i] == range.max[i] ? range.max[i] : -1;
  }
}

std::map<std::string, std::vector<int64_t>> largest_input_shapes(const Graph& graph,
                                                                 const std::map<std::string, ShapeRange>& profile) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const Value* v : graph.inputs()) {
    auto range = profile.find(v->name);
    if (range != profile.end()) shapes[v->name] = range->second.max;
    else if (v->shape_known()) shapes[v->name] = v->dims;
    else shapes[v->name] = {};
  }
  return shapes;
}

}  // namespace kiln
