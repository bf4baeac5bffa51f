#include "builder/concat_elimination.hpp"

#include <set>
#include <unordered_map>

#include "builder/layout_assignment.hpp"
#include "plugin/kernel_flags.hpp"

namespace kiln {

namespace {

bool fixed_shape(const Value& v) { return v.shape_known() && dtype_size(v.dtype) > 0; }

std::vector<int64_t> dense_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t k = dims.size(); k-- > 1;) strides[k - 1] = strides[k] * dims[k];
  return strides;
}

// The concat axis, normalized; -1 when the attribute is missing or out of range.
int concat_axis(const Node& node, int rank) {
  const Attribute* axis = node.attribute("axis");
  if (!axis || axis->kind != KILN_ATTR_INT) return -1;
  const int64_t a = axis->i < 0 ? axis->i + rank : axis->i;
  return a >= 0 && a < rank ? static_cast<int>(a) : -1;
}

class Finder {
 public:
  Finder(const EnginePlan& plan, const std::vector<std::optional<size_t>>& bounds) : plan_(plan), bounds_(bounds) {
    const auto& values = plan.graph->values();
    for (size_t i = 0; i < values.size(); ++i) value_index_[values[i].get()] = i;
    for (size_t i = 0; i < plan.layers.size(); ++i) layer_of_[plan.layers[i].node] = static_cast<int>(i);
  }

  std::optional<EliminatedConcat> try_layer(int index) const {
    const Layer& layer = plan_.layers[static_cast<size_t>(index)];
    const Node& node = *layer.node;
    if (!has_kernel_flag(*layer.selection.chosen, KILN_KERNEL_CONCAT) || node.outputs.size() != 1) return {};
    const Value* out = node.outputs[0];
    if (!out || !fixed_shape(*out) || out->is_graph_output || !bounds_[value_index_.at(out)]) return {};
    const int axis = concat_axis(node, static_cast<int>(out->dims.size()));
    if (axis < 0) return {};
    EliminatedConcat concat{index, value_index_.at(out), {}};
    // A channels-last output's slices along C are channels-last views too.
    const std::vector<int64_t> strides =
        out->layout == KILN_LAYOUT_NHWC ? nhwc_strides(out->dims) : dense_strides(out->dims);
    std::set<const Value*> seen;
    int64_t along = 0;  // the output's index along the axis where the next input starts
    for (const Value* in : node.inputs) {
      if (!in || !seen.insert(in).second || !writable_in_place(*in, node, *out)) return {};
      const size_t element_offset = static_cast<size_t>(along * strides[static_cast<size_t>(axis)]);
      concat.slices.push_back(ConcatSlice{value_index_.at(in), layer_of_.at(in->producer),
                                          element_offset * dtype_size(out->dtype), strides});
      along += in->dims[static_cast<size_t>(axis)];
    }
    if (along != out->dims[static_cast<size_t>(axis)] || concat.slices.empty()) return {};
    return concat;
  }

 private:
  // Its producer can write through strides, it has a fixed shape, and the concat is its only reader.
  bool writable_in_place(const Value& in, const Node& concat, const Value& out) const {
    if (!in.producer || in.constant || in.is_graph_input || in.is_graph_output || !fixed_shape(in)) return false;
    if (in.layout != out.layout || in.device != out.device) return false;
    if (in.dims.size() != out.dims.size() || in.consumers.size() != 1 || in.consumers[0] != &concat) return false;
    const Layer& producer = plan_.layers[static_cast<size_t>(layer_of_.at(in.producer))];
    return has_kernel_flag(*producer.selection.chosen, KILN_KERNEL_STRIDED_OUTPUT);
  }

  const EnginePlan& plan_;
  const std::vector<std::optional<size_t>>& bounds_;
  std::unordered_map<const Value*, size_t> value_index_;
  std::unordered_map<const Node*, int> layer_of_;
};

}  // namespace

std::vector<EliminatedConcat> find_eliminable_concats(const EnginePlan& plan,
                                                      const std::vector<std::optional<size_t>>& bounds) {
  const Finder finder(plan, bounds);
  std::vector<EliminatedConcat> found;
  for (size_t i = 0; i < plan.layers.size(); ++i)
    if (auto concat = finder.try_layer(static_cast<int>(i))) found.push_back(std::move(*concat));
  return found;
}

bool is_eliminated_concat(const EnginePlan& plan, size_t index, const std::vector<int>& input_values,
                          int output_value) {
  if (!has_kernel_flag(*plan.layers[index].selection.chosen, KILN_KERNEL_CONCAT) || output_value < 0) return false;
  if (input_values.empty()) return false;
  for (int v : input_values) {
    if (v < 0) return false;
    const ValueSlot& slot = plan.slots[static_cast<size_t>(v)];
    if (slot.home != ValueHome::View || slot.view_of != output_value) return false;
  }
  return true;
}

}  // namespace kiln
