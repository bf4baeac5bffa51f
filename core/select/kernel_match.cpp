#include "select/kernel_match.hpp"

#include <algorithm>

#include "ir/dtype.hpp"
#include "plugin/host_api.hpp"
#include "plugin/kernel_flags.hpp"

namespace kiln {

namespace {

// Why values at positions `values` do not fit `specs`, or "".
std::string values_mismatch(const kiln_kernel_desc& k, bool output, const std::vector<Value*>& values) {
  const char* what = output ? "output" : "input";
  const int32_t count = output ? k.num_output_specs : k.num_input_specs;
  const kiln_io_spec* specs = output ? k.outputs : k.inputs;
  for (size_t i = 0; i < values.size(); ++i) {
    const kiln_io_spec* spec = io_spec_at(k, output, i);
    const Value* v = values[i];
    if (!spec) {
      if (!v) continue;  // an omitted trailing optional position
      return std::string("has no ") + what + " " + std::to_string(i) + " (takes " + std::to_string(count) + ")";
    }
    if (!v) {
      if (!(spec->flags & (KILN_IO_OPTIONAL | KILN_IO_VARIADIC)))
        return std::string("requires ") + what + " " + std::to_string(i);
      continue;
    }
    if (v->dtype != KILN_DTYPE_UNDEFINED && !(spec->dtypes & KILN_DTYPE_BIT(v->dtype)))
      return std::string(what) + " " + std::to_string(i) + " ('" + v->name + "') is " + dtype_name(v->dtype) +
             "; supports " + dtype_list(spec->dtypes);
    if (!(spec->layouts & KILN_LAYOUT_BIT(v->layout)))
      return std::string(what) + " " + std::to_string(i) + " ('" + v->name + "') is stored " +
             (v->layout == KILN_LAYOUT_NHWC ? "NHWC" : "linear") + ", which the kernel does not accept there";
  }
  for (size_t i = values.size(); i < static_cast<size_t>(std::max(count, 0)); ++i)
    if (!(specs[i].flags & (KILN_IO_OPTIONAL | KILN_IO_VARIADIC)))
      return std::string("requires ") + what + " " + std::to_string(i) + ", the node has " +
             std::to_string(values.size());
  return "";
}

}  // namespace

std::string io_mismatch(const kiln_kernel_desc& k, const Node& node) {
  std::string why = values_mismatch(k, false, node.inputs);
  if (why.empty()) why = values_mismatch(k, true, node.outputs);
  return why;
}

std::string dtype_list(uint64_t mask) {
  std::string s;
  for (int d = 0; d < 64; ++d)
    if (mask & (uint64_t{1} << d)) s += (s.empty() ? "" : ", ") + dtype_name(d);
  return s.empty() ? "none" : s;
}

CheckVerdict check_node(const kiln_kernel_desc& k, const Node& node) {
  if (!k.check) return {};
  char reason[512] = {0};
  const kiln_status status = k.check(k.user_data, host_api(), to_handle(&node), reason, sizeof reason);
  if (status == KILN_OK) return {};
  if (status == KILN_ERROR_UNSUPPORTED)
    return {CheckVerdict::Declined, reason[0] ? reason : "declined by its constraint check"};
  return {CheckVerdict::Failed, take_plugin_error()};
}

}  // namespace kiln
