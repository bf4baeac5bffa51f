#include "plugin/host_api.hpp"

#include "plugin/build_hooks.hpp"
#include "plugin/tuning_cache.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <cstdio>

namespace kiln {
namespace {

thread_local std::string g_plugin_error;
std::atomic<int> g_log_level{KILN_LOG_WARNING};

const char* level_name(int32_t level) {
  switch (level) {
    case KILN_LOG_ERROR: return "error";
    case KILN_LOG_WARNING: return "warning";
    case KILN_LOG_INFO: return "info";
    default: return "debug";
  }
}

void log_message(int32_t level, const char* message) {
  if (level <= g_log_level.load()) std::fprintf(stderr, "kiln plugin %s: %s\n", level_name(level), message);
}

kiln_status set_error(kiln_status status, const char* message) {
  g_plugin_error = message ? message : "(no message)";
  return status;
}

const Attribute* find_attr(const kiln_node* node, const char* name, kiln_attr_kind kind, kiln_status* status) {
  const Attribute* a = name ? from_handle(node)->attribute(name) : nullptr;
  if (!a) *status = KILN_ERROR_NOT_FOUND;
  else if (a->kind != kind) *status = KILN_ERROR_TYPE_MISMATCH;
  else *status = KILN_OK;
  return *status == KILN_OK ? a : nullptr;
}

// Copies `info` into a plugin's struct, which may be an older, shorter one: only the fields its struct_size
// covers are written (a plugin built against 1.0 headers has no room for the 1.3 quantization fields).
kiln_status copy_value_info(const kiln_value_info& info, kiln_value_info* out) {
  if (!out || out->struct_size < offsetof(kiln_value_info, name) + sizeof out->name) return KILN_ERROR_INVALID_ARGUMENT;
  const uint32_t size = std::min<uint32_t>(out->struct_size, sizeof info);
  std::memcpy(out, &info, size);
  out->struct_size = size;
  return KILN_OK;
}

kiln_status node_value(const std::vector<Value*>& values, int32_t index, kiln_value_info* out) {
  if (!out || index < 0 || static_cast<size_t>(index) >= values.size()) return KILN_ERROR_NOT_FOUND;
  return copy_value_info(describe_value(values[static_cast<size_t>(index)]), out);
}

const kiln_host_api kHostApi = {
    sizeof(kiln_host_api),
    KILN_ABI_VERSION,
    &log_message,
    &set_error,
    [](const kiln_node* n) { return from_handle(n)->name.c_str(); },
    [](const kiln_node* n) { return from_handle(n)->op_type.c_str(); },
    [](const kiln_node* n) { return from_handle(n)->domain.c_str(); },
    [](const kiln_node* n) -> int32_t { return from_handle(n)->opset; },
    [](const kiln_node* n) { return static_cast<int32_t>(from_handle(n)->inputs.size()); },
    [](const kiln_node* n) { return static_cast<int32_t>(from_handle(n)->outputs.size()); },
    [](const kiln_node* n, int32_t i, kiln_value_info* out) { return node_value(from_handle(n)->inputs, i, out); },
    [](const kiln_node* n, int32_t i, kiln_value_info* out) { return node_value(from_handle(n)->outputs, i, out); },
    [](const kiln_node* n, const char* name) -> kiln_attr_kind {
      const Attribute* a = name ? from_handle(n)->attribute(name) : nullptr;
      return a ? a->kind : KILN_ATTR_NONE;
    },
    [](const kiln_node* n, const char* name, int64_t* out) {
      kiln_status s;
      if (const Attribute* a = find_attr(n, name, KILN_ATTR_INT, &s)) *out = a->i;
      return s;
    },
    [](const kiln_node* n, const char* name, float* out) {
      kiln_status s;
      if (const Attribute* a = find_attr(n, name, KILN_ATTR_FLOAT, &s)) *out = a->f;
      return s;
    },
    [](const kiln_node* n, const char* name, const char** out, size_t* length) {
      kiln_status s;
      if (const Attribute* a = find_attr(n, name, KILN_ATTR_STRING, &s)) {
        *out = a->s.c_str();
        *length = a->s.size();
      }
      return s;
    },
    [](const kiln_node* n, const char* name, const int64_t** out, size_t* count) {
      kiln_status s;
      if (const Attribute* a = find_attr(n, name, KILN_ATTR_INTS, &s)) {
        *out = a->ints.data();
        *count = a->ints.size();
      }
      return s;
    },
    [](const kiln_node* n, const char* name, const float** out, size_t* count) {
      kiln_status s;
      if (const Attribute* a = find_attr(n, name, KILN_ATTR_FLOATS, &s)) {
        *out = a->floats.data();
        *count = a->floats.size();
      }
      return s;
    },
    [](const kiln_node* n, const char* name, size_t* count) {
      kiln_status s;
      if (const Attribute* a = find_attr(n, name, KILN_ATTR_STRINGS, &s)) *count = a->strings.size();
      return s;
    },
    [](const kiln_node* n, const char* name, size_t index, const char** out, size_t* length) {
      kiln_status s;
      const Attribute* a = find_attr(n, name, KILN_ATTR_STRINGS, &s);
      if (!a) return s;
      if (index >= a->strings.size()) return KILN_ERROR_NOT_FOUND;
      *out = a->strings[index].c_str();
      *length = a->strings[index].size();
      return KILN_OK;
    },
    [](const kiln_node* n, const char* name, kiln_tensor* out) {
      kiln_status s;
      if (const Attribute* a = find_attr(n, name, KILN_ATTR_TENSOR, &s)) *out = a->tensor.view();
      return s;
    },
    [](const kiln_node* n, int32_t step) -> const kiln_node* {
      const Node* node = from_handle(n);
      if (step < 0 || static_cast<size_t>(step) >= node->pattern.size()) return nullptr;
      return to_handle(node->pattern[static_cast<size_t>(step)].get());
    },
    [](const kiln_infer_ctx* ctx, int32_t index, kiln_value_info* out) {
      if (!ctx || !out || index < 0 || static_cast<size_t>(index) >= ctx->inputs.size()) return KILN_ERROR_NOT_FOUND;
      return copy_value_info(ctx->inputs[static_cast<size_t>(index)], out);
    },
    [](kiln_infer_ctx* ctx, int32_t index, kiln_dtype dtype, int32_t rank, const int64_t* dims) {
      if (!ctx || index < 0 || static_cast<size_t>(index) >= ctx->outputs.size())
        return set_error(KILN_ERROR_INVALID_ARGUMENT, "infer_set_output: output index out of range");
      if (rank > 0 && !dims) return set_error(KILN_ERROR_INVALID_ARGUMENT, "infer_set_output: dims is NULL");
      kiln_infer_ctx::Output& out = ctx->outputs[static_cast<size_t>(index)];
      out.set = true;
      out.dtype = dtype;
      out.has_rank = rank >= 0;
      out.dims.assign(dims, dims + (rank > 0 ? rank : 0));
      return KILN_OK;
    },
    // 1.2: the timing cache and notes go to the build running on this thread, if any.
    [](const char* key) -> const char* {
      thread_local std::string value;
      BuildHooks* hooks = active_build_hooks();
      if (!key || !hooks || !hooks->cache) return nullptr;
      std::optional<std::string> found = hooks->cache->get(key);
      if (!found) return nullptr;
      hooks->used[key] = *found;
      value = std::move(*found);
      return value.c_str();
    },
    [](const char* key, const char* value) {
      BuildHooks* hooks = active_build_hooks();
      if (key && value && hooks && hooks->cache) {
        hooks->cache->put(key, value);
        hooks->used[key] = value;
      }
    },
    [](const kiln_node* node, const char* text) {
      BuildHooks* hooks = active_build_hooks();
      if (node && text && hooks) hooks->notes[from_handle(node)].push_back(text);
    },
};

}  // namespace

const kiln_host_api* host_api() { return &kHostApi; }

kiln_value_info describe_value(const Value* value) {
  kiln_value_info info{};
  info.struct_size = sizeof info;
  if (!value) {
    info.dtype = KILN_DTYPE_UNDEFINED;
    info.rank = -1;
    info.name = "";
    return info;
  }
  info.dtype = value->dtype;
  info.layout = value->layout;
  info.rank = value->has_shape ? static_cast<int32_t>(value->dims.size()) : -1;
  info.dims = value->dims.data();
  info.data = value->constant ? value->constant->data() : nullptr;
  info.name = value->name.c_str();
  if (value->quant) {  // pointers into the value, which outlives every call that reads them
    info.quant_axis = value->quant->axis;
    info.quant_count = static_cast<int64_t>(value->quant->scales.size());
    info.quant_scales = value->quant->scales.data();
    info.quant_zero_points = value->quant->zero_points.data();
    info.quant_dtype = value->quant->dtype;
  } else {
    info.quant_axis = -1;
  }
  return info;
}

std::string take_plugin_error() {
  std::string message;
  message.swap(g_plugin_error);
  return message.empty() ? "(the plugin gave no message)" : message;
}

void set_plugin_log_level(int level) { g_log_level = level; }

}  // namespace kiln
