#include "builder/layout_assignment.hpp"

#include <map>

#include "plugin/kernel_flags.hpp"

namespace kiln {

namespace {

bool accepts_nhwc(const kiln_kernel_desc& kernel, bool output, size_t position) {
  const kiln_io_spec* spec = io_spec_at(kernel, output, position);
  return spec && (spec->layouts & KILN_LAYOUT_BIT(KILN_LAYOUT_NHWC));
}

bool candidate(const Value& v) {
  const size_t bytes = dtype_size(v.dtype);
  return !v.constant && !v.is_graph_input && !v.is_graph_output && v.producer && v.has_shape && v.dims.size() == 4 &&
         (bytes == 1 || bytes == 2);
}

// What the kernels around `v` say of NHWC for it: whether all accept it and whether any prefers it.
struct Votes {
  bool all_accept = true;
  bool some_prefers = false;
  void add(const KernelEntry* kernel, bool output, size_t position) {
    if (!kernel || kernel->desc->device == KILN_DEVICE_CPU || !accepts_nhwc(*kernel->desc, output, position)) {
      all_accept = false;
      return;
    }
    some_prefers = some_prefers || io_has_flag(*kernel, output, position, KILN_IO_PREFERS_NHWC);
  }
};

}  // namespace

size_t assign_layouts(Graph& graph, const KernelSelector& selector) {
  std::map<const Node*, const KernelEntry*> chosen;
  for (const auto& node : graph.nodes()) chosen[node.get()] = selector.select(*node).chosen;
  size_t count = 0;
  for (const auto& value : graph.values()) {
    Value& v = *value;
    if (!candidate(v)) continue;
    Votes votes;
    const Node& producer = *v.producer;
    for (size_t i = 0; i < producer.outputs.size(); ++i)
      if (producer.outputs[i] == &v) votes.add(chosen.at(&producer), true, i);
    for (const Node* reader : v.consumers)
      for (size_t i = 0; i < reader->inputs.size(); ++i)
        if (reader->inputs[i] == &v) votes.add(chosen.at(reader), false, i);
    if (votes.all_accept && votes.some_prefers) {
      v.layout = KILN_LAYOUT_NHWC;
      ++count;
    }
  }
  return count;
}

std::vector<int64_t> nhwc_strides(const std::vector<int64_t>& dims) {
  const int64_t c = dims[1], h = dims[2], w = dims[3];
  return {h * w * c, 1, w * c, c};
}

}  // namespace kiln
