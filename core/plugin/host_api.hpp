// The host side of the plugin ABI: the kiln_host_api table handed to every plugin, the opaque node and
// inference-context types behind it, and the per-thread error a plugin reports through set_error.
#ifndef KILN_CORE_HOST_API_HPP
#define KILN_CORE_HOST_API_HPP

#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "kiln/plugin.h"

// One inference call: what the caller knows of each input, and what the kernel says of each output.
struct kiln_infer_ctx {
  struct Output {
    bool set = false;
    kiln_dtype dtype = KILN_DTYPE_UNDEFINED;
    bool has_rank = false;
    std::vector<int64_t> dims;
  };
  std::vector<kiln_value_info> inputs;
  std::vector<Output> outputs;
};

namespace kiln {

// The table every plugin receives. Lives for the whole process.
const kiln_host_api* host_api();

// kiln_node handles are IR nodes seen through the ABI.
inline const kiln_node* to_handle(const Node* node) { return reinterpret_cast<const kiln_node*>(node); }
inline const Node* from_handle(const kiln_node* node) { return reinterpret_cast<const Node*>(node); }

// The static value info of `value` (nullptr: an omitted optional value).
kiln_value_info describe_value(const Value* value);

// The message the last failing plugin call on this thread gave to set_error, and clears it.
std::string take_plugin_error();

// Messages at or above this level (KILN_LOG_*) from plugins are printed to stderr. Default: warnings.
void set_plugin_log_level(int level);

}  // namespace kiln

#endif  // KILN_CORE_HOST_API_HPP
