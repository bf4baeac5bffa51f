// Header-only C++ helper over the C ABI in kiln/plugin.h.
//
// A kernel is a small class; kiln::describe<K>() turns it into a kiln_kernel_desc whose hooks catch every
// exception and report it through the host as status + message. The class provides:
//
//   static kiln::KernelSpec spec();                              name, op, opset range, device, io specs
//   explicit K(const kiln::Node& node);                          create: read attributes, pack weights
//   void execute(kiln::ExecContext& ctx);                        run on tensors allocated by the core
// and optionally:
//   static void infer(const kiln::Node&, kiln::InferContext&);   output dtypes/shapes (mandatory for non-ONNX ops)
//   static std::string check(const kiln::Node&);                 "" accepts; otherwise the reason it declines
//   size_t workspace_size(const kiln::ExecContext& ctx) const;   scratch bytes for these shapes
//   std::vector<uint8_t> serialize() const;                      prepared state to bytes ...
//   K(const kiln::Node&, const uint8_t* bytes, size_t length);   ... and back
//
// A library then exports its table with KILN_DEFINE_PLUGIN (see examples/swish_plugin for a complete one).
#ifndef KILN_PLUGIN_HPP
#define KILN_PLUGIN_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kiln/float16.hpp"
#include "kiln/plugin.h"

namespace kiln {

// An exception carrying a kiln status. Throw it (or use fail()) from kernel code; the trampolines turn it into
// a status + message at the boundary. Any other std::exception becomes KILN_ERROR_INTERNAL.
class Error : public std::runtime_error {
 public:
  Error(kiln_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  kiln_status status() const { return status_; }

 private:
  kiln_status status_;
};

[[noreturn]] inline void fail(kiln_status status, const std::string& message) { throw Error(status, message); }
[[noreturn]] inline void fail_invalid(const std::string& message) { fail(KILN_ERROR_INVALID_ARGUMENT, message); }
[[noreturn]] inline void fail_unsupported(const std::string& message) { fail(KILN_ERROR_UNSUPPORTED, message); }

// The host table this library was loaded with (one per library: the helper lives in each plugin, with hidden
// visibility, so two plugins never share it).
inline const kiln_host_api*& host_api() {
  static const kiln_host_api* host = nullptr;
  return host;
}

inline const char* dtype_name(kiln_dtype dtype) {
  switch (dtype) {
    case KILN_DTYPE_FLOAT32: return "float32";
    case KILN_DTYPE_UINT8: return "uint8";
    case KILN_DTYPE_INT8: return "int8";
    case KILN_DTYPE_UINT16: return "uint16";
    case KILN_DTYPE_INT16: return "int16";
    case KILN_DTYPE_INT32: return "int32";
    case KILN_DTYPE_INT64: return "int64";
    case KILN_DTYPE_STRING: return "string";
    case KILN_DTYPE_BOOL: return "bool";
    case KILN_DTYPE_FLOAT16: return "float16";
    case KILN_DTYPE_FLOAT64: return "float64";
    case KILN_DTYPE_UINT32: return "uint32";
    case KILN_DTYPE_UINT64: return "uint64";
    case KILN_DTYPE_BFLOAT16: return "bfloat16";
    default: return "undefined";
  }
}

inline size_t dtype_size(kiln_dtype dtype) {
  switch (dtype) {
    case KILN_DTYPE_BOOL:
    case KILN_DTYPE_UINT8:
    case KILN_DTYPE_INT8: return 1;
    case KILN_DTYPE_UINT16:
    case KILN_DTYPE_INT16:
    case KILN_DTYPE_FLOAT16:
    case KILN_DTYPE_BFLOAT16: return 2;
    case KILN_DTYPE_UINT32:
    case KILN_DTYPE_INT32:
    case KILN_DTYPE_FLOAT32: return 4;
    case KILN_DTYPE_UINT64:
    case KILN_DTYPE_INT64:
    case KILN_DTYPE_FLOAT64: return 8;
    default: return 0;
  }
}

// The C++ type of each dtype, for dispatch.
template <kiln_dtype D> struct DtypeType;
template <> struct DtypeType<KILN_DTYPE_FLOAT32> { using type = float; };
template <> struct DtypeType<KILN_DTYPE_FLOAT64> { using type = double; };
template <> struct DtypeType<KILN_DTYPE_FLOAT16> { using type = float16; };
template <> struct DtypeType<KILN_DTYPE_INT8> { using type = int8_t; };
template <> struct DtypeType<KILN_DTYPE_INT16> { using type = int16_t; };
template <> struct DtypeType<KILN_DTYPE_INT32> { using type = int32_t; };
template <> struct DtypeType<KILN_DTYPE_INT64> { using type = int64_t; };
template <> struct DtypeType<KILN_DTYPE_UINT8> { using type = uint8_t; };
template <> struct DtypeType<KILN_DTYPE_UINT16> { using type = uint16_t; };
template <> struct DtypeType<KILN_DTYPE_UINT32> { using type = uint32_t; };
template <> struct DtypeType<KILN_DTYPE_UINT64> { using type = uint64_t; };
template <> struct DtypeType<KILN_DTYPE_BOOL> { using type = bool; };

// Calls fn(T{}) with the C++ type of `dtype` when it is one of Ds..., else fails naming the dtype and `what`.
//   kiln::dispatch<KILN_DTYPE_FLOAT32, KILN_DTYPE_INT64>(x.dtype(), "Relu", [&](auto tag) {
//     using T = decltype(tag); ... });
template <kiln_dtype... Ds, class Fn>
void dispatch(kiln_dtype dtype, const char* what, Fn&& fn) {
  bool handled = false;
  auto try_one = [&](auto constant) {
    constexpr kiln_dtype d = decltype(constant)::value;
    if (!handled && dtype == d) {
      handled = true;
      fn(typename DtypeType<d>::type{});
    }
  };
  (try_one(std::integral_constant<kiln_dtype, Ds>{}), ...);
  if (!handled) fail_unsupported(std::string(what) + ": dtype " + dtype_name(dtype) + " is not supported");
}

inline int64_t product(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

// What is known of a value: dtype, shape (dims -1 when unknown), and host data when known.
// (ABI 1.3) How a value's integers q map to reals: (q - zero_points[k]) * scales[k], k along `axis` (-1: one
// pair for the whole tensor). Empty scales: not quantized.
struct Quantization {
  int axis = -1;
  std::vector<float> scales;
  std::vector<int32_t> zero_points;
  kiln_dtype dtype = KILN_DTYPE_UNDEFINED;  // q's type: KILN_DTYPE_INT8 or KILN_DTYPE_UINT8

  bool present() const { return !scales.empty(); }
  bool per_tensor() const { return scales.size() == 1; }
  // Symmetric: every zero point 0 (what the tensor-core INT8 paths need).
  bool symmetric() const {
    for (int32_t z : zero_points)
      if (z != 0) return false;
    return true;
  }
  // The scale and zero point of slice k (any k when per tensor).
  float scale(int64_t k) const { return scales[per_tensor() ? 0 : static_cast<size_t>(k)]; }
  int32_t zero_point(int64_t k) const { return zero_points[per_tensor() ? 0 : static_cast<size_t>(k)]; }
};

struct ValueInfo {
  kiln_dtype dtype = KILN_DTYPE_UNDEFINED;
  kiln_layout layout = KILN_LAYOUT_LINEAR;
  bool has_rank = false;
  std::vector<int64_t> dims;
  const void* data = nullptr;
  std::string name;
  Quantization quant;  // (ABI 1.3) empty for a value that is not quantized, and from an older core

  bool present() const { return dtype != KILN_DTYPE_UNDEFINED; }
  int rank() const { return static_cast<int>(dims.size()); }
  bool shape_known() const {
    if (!has_rank) return false;
    for (int64_t d : dims)
      if (d < 0) return false;
    return true;
  }
  int64_t numel() const { return product(dims); }
  template <class T> const T* as() const { return static_cast<const T*>(data); }

  // Integer contents (int32/int64 tensors, e.g. shapes and axes) as int64; requires data.
  std::vector<int64_t> int_values() const {
    if (!data) fail_invalid("value '" + name + "' must be known (constant) here");
    std::vector<int64_t> out(static_cast<size_t>(numel()));
    for (size_t i = 0; i < out.size(); ++i) {
      if (dtype == KILN_DTYPE_INT64) out[i] = as<int64_t>()[i];
      else if (dtype == KILN_DTYPE_INT32) out[i] = as<int32_t>()[i];
      else fail_invalid("value '" + name + "' must be int32 or int64, got " + dtype_name(dtype));
    }
    return out;
  }

  static ValueInfo from_c(const kiln_value_info& v) {
    ValueInfo info;
    info.dtype = v.dtype;
    info.layout = v.layout;
    info.has_rank = v.rank >= 0;
    if (v.rank > 0) info.dims.assign(v.dims, v.dims + v.rank);
    info.data = v.data;
    info.name = v.name ? v.name : "";
    if (v.struct_size > offsetof(kiln_value_info, quant_dtype) && v.quant_count > 0) {
      info.quant.axis = v.quant_axis;
      info.quant.scales.assign(v.quant_scales, v.quant_scales + v.quant_count);
      info.quant.zero_points.assign(v.quant_zero_points, v.quant_zero_points + v.quant_count);
      info.quant.dtype = v.quant_dtype;
    }
    return info;
  }
};

// A view of a kiln_tensor (inputs, outputs, attribute tensors).
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(const kiln_tensor& t) : t_(t) {}

  bool present() const { return t_.dtype != KILN_DTYPE_UNDEFINED; }
  kiln_dtype dtype() const { return t_.dtype; }
  kiln_layout layout() const { return t_.layout; }
  int rank() const { return t_.rank; }
  int64_t dim(int i) const { return t_.dims[i]; }
  std::vector<int64_t> shape() const { return std::vector<int64_t>(t_.dims, t_.dims + t_.rank); }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < t_.rank; ++i) n *= t_.dims[i];
    return n;
  }
  const int64_t* strides() const { return t_.strides; }  // NULL when dense
  bool dense() const { return t_.strides == nullptr; }
  template <class T> T* data() const { return static_cast<T*>(t_.data); }
  void* raw() const { return t_.data; }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(t_.dtype); }
  const kiln_tensor& c() const { return t_; }

  // Integer contents (int32/int64) as int64.
  std::vector<int64_t> int_values() const {
    std::vector<int64_t> out(static_cast<size_t>(numel()));
    for (size_t i = 0; i < out.size(); ++i) {
      if (t_.dtype == KILN_DTYPE_INT64) out[i] = data<int64_t>()[i];
      else if (t_.dtype == KILN_DTYPE_INT32) out[i] = data<int32_t>()[i];
      else fail_invalid(std::string("expected an int32 or int64 tensor, got ") + dtype_name(t_.dtype));
    }
    return out;
  }

 private:
  kiln_tensor t_{sizeof(kiln_tensor), KILN_DTYPE_UNDEFINED, KILN_LAYOUT_LINEAR, KILN_DEVICE_CPU, 0, nullptr,
                 nullptr, nullptr};
};

// Checks a host call's status and throws with the host's message on failure.
inline void check_host(kiln_status status, const std::string& what) {
  if (status != KILN_OK) fail(status, what);
}

// A node as the host presents it: name, op, inputs and attributes.
class Node {
 public:
  Node(const kiln_host_api* host, const kiln_node* node) : host_(host), node_(node) {}

  std::string name() const { return host_->node_name(node_); }
  std::string op_type() const { return host_->node_op_type(node_); }
  std::string domain() const { return host_->node_domain(node_); }
  int opset() const { return host_->node_opset(node_); }
  int num_inputs() const { return host_->node_num_inputs(node_); }
  int num_outputs() const { return host_->node_num_outputs(node_); }
  bool has_input(int i) const { return i < num_inputs() && input(i).present(); }

  ValueInfo input(int i) const { return value(host_->node_input, i, "input"); }
  ValueInfo output(int i) const { return value(host_->node_output, i, "output"); }

  bool has(const char* attr) const { return host_->attr_kind(node_, attr) != KILN_ATTR_NONE; }

  int64_t attr_int(const char* attr) const {
    int64_t v = 0;
    require(host_->attr_int(node_, attr, &v), attr);
    return v;
  }
  int64_t attr_int(const char* attr, int64_t fallback) const { return has(attr) ? attr_int(attr) : fallback; }

  float attr_float(const char* attr) const {
    float v = 0;
    require(host_->attr_float(node_, attr, &v), attr);
    return v;
  }
  float attr_float(const char* attr, float fallback) const { return has(attr) ? attr_float(attr) : fallback; }

  std::string attr_string(const char* attr) const {
    const char* s = nullptr;
    size_t n = 0;
    require(host_->attr_string(node_, attr, &s, &n), attr);
    return std::string(s, n);
  }
  std::string attr_string(const char* attr, const std::string& fallback) const {
    return has(attr) ? attr_string(attr) : fallback;
  }

  std::vector<int64_t> attr_ints(const char* attr) const {
    const int64_t* p = nullptr;
    size_t n = 0;
    require(host_->attr_ints(node_, attr, &p, &n), attr);
    return std::vector<int64_t>(p, p + n);
  }
  std::vector<int64_t> attr_ints(const char* attr, const std::vector<int64_t>& fallback) const {
    return has(attr) ? attr_ints(attr) : fallback;
  }

  std::vector<float> attr_floats(const char* attr) const {
    const float* p = nullptr;
    size_t n = 0;
    require(host_->attr_floats(node_, attr, &p, &n), attr);
    return std::vector<float>(p, p + n);
  }
  std::vector<float> attr_floats(const char* attr, const std::vector<float>& fallback) const {
    return has(attr) ? attr_floats(attr) : fallback;
  }

  std::vector<std::string> attr_strings(const char* attr) const {
    size_t count = 0;
    require(host_->attr_strings_count(node_, attr, &count), attr);
    std::vector<std::string> out;
    for (size_t i = 0; i < count; ++i) {
      const char* s = nullptr;
      size_t n = 0;
      require(host_->attr_strings_at(node_, attr, i, &s, &n), attr);
      out.emplace_back(s, n);
    }
    return out;
  }

  Tensor attr_tensor(const char* attr) const {
    kiln_tensor t{};
    t.struct_size = sizeof t;
    require(host_->attr_tensor(node_, attr, &t), attr);
    return Tensor(t);
  }

  // The original node behind step `step` of a fused pattern.
  Node pattern_step(int step) const {
    const kiln_node* n = host_->node_pattern_step(node_, step);
    if (!n) fail_invalid("node '" + name() + "' has no pattern step " + std::to_string(step));
    return Node(host_, n);
  }

  // (ABI 1.2) A line for `kiln inspect` about what this kernel decided for the node; ignored by older cores.
  void note(const std::string& text) const {
    if (host_->struct_size > offsetof(kiln_host_api, node_note) && host_->node_note) host_->node_note(node_, text.c_str());
  }

  const kiln_host_api* host() const { return host_; }
  const kiln_node* handle() const { return node_; }

 private:
  using ValueGetter = kiln_status (*)(const kiln_node*, int32_t, kiln_value_info*);

  ValueInfo value(ValueGetter get, int i, const char* what) const {
    kiln_value_info v{};
    v.struct_size = sizeof v;
    check_host(get(node_, i, &v), "node '" + name() + "' has no " + what + " " + std::to_string(i));
    return ValueInfo::from_c(v);
  }

  void require(kiln_status status, const char* attr) const {
    if (status == KILN_ERROR_NOT_FOUND)
      fail_invalid("node '" + name() + "' (" + op_type() + ") lacks required attribute '" + attr + "'");
    if (status == KILN_ERROR_TYPE_MISMATCH)
      fail_invalid("node '" + name() + "' (" + op_type() + ") has attribute '" + attr + "' of an unexpected type");
    check_host(status, std::string("attribute '") + attr + "'");
  }

  const kiln_host_api* host_;
  const kiln_node* node_;
};

// One shape/type inference call.
class InferContext {
 public:
  InferContext(const kiln_host_api* host, kiln_infer_ctx* ctx, int num_inputs)
      : host_(host), ctx_(ctx), num_inputs_(num_inputs) {}

  int num_inputs() const { return num_inputs_; }
  bool has_input(int i) const { return i < num_inputs_ && input(i).present(); }
  ValueInfo input(int i) const {
    kiln_value_info v{};
    v.struct_size = sizeof v;
    check_host(host_->infer_input(ctx_, i, &v), "no input " + std::to_string(i));
    return ValueInfo::from_c(v);
  }
  void set_output(int i, kiln_dtype dtype, const std::vector<int64_t>& dims) {
    check_host(host_->infer_set_output(ctx_, i, dtype, static_cast<int32_t>(dims.size()), dims.data()),
               "cannot set output " + std::to_string(i));
  }
  // An output whose rank is not known yet.
  void set_output_unknown_rank(int i, kiln_dtype dtype) {
    check_host(host_->infer_set_output(ctx_, i, dtype, -1, nullptr), "cannot set output " + std::to_string(i));
  }

 private:
  const kiln_host_api* host_;
  kiln_infer_ctx* ctx_;
  int num_inputs_;
};

// One execute call: inputs, preallocated outputs, workspace, stream.
class ExecContext {
 public:
  explicit ExecContext(const kiln_exec_ctx* ctx) : ctx_(ctx) {}
  int num_inputs() const { return ctx_->num_inputs; }
  int num_outputs() const { return ctx_->num_outputs; }
  bool has_input(int i) const { return i < ctx_->num_inputs && ctx_->inputs[i].dtype != KILN_DTYPE_UNDEFINED; }
  Tensor input(int i) const {
    if (i >= ctx_->num_inputs) return Tensor();
    return Tensor(ctx_->inputs[i]);
  }
  Tensor output(int i) const {
    if (i >= ctx_->num_outputs) fail_invalid("no output " + std::to_string(i));
    return Tensor(ctx_->outputs[i]);
  }
  void* workspace() const { return ctx_->workspace; }
  size_t workspace_bytes() const { return ctx_->workspace_bytes; }
  void* stream() const { return ctx_->stream; }

 private:
  const kiln_exec_ctx* ctx_;
};

struct PatternStep {
  std::string domain;
  std::string op_type;
  int chained_input = -1;
  uint32_t flags = 0;
};

// The static description of a kernel class.
struct KernelSpec {
  std::string name;
  std::string domain;  // "" for ai.onnx
  std::string op_type;
  int opset_min = 1;
  int opset_max = 1000;
  kiln_device device = KILN_DEVICE_CPU;
  uint32_t flags = 0;
  std::vector<kiln_io_spec> inputs;
  std::vector<kiln_io_spec> outputs;
  std::vector<PatternStep> pattern;
};

// An io spec accepting `dtypes` in the linear layout.
inline kiln_io_spec io(uint64_t dtypes, uint32_t flags = 0) {
  return kiln_io_spec{dtypes, KILN_LAYOUT_BIT(KILN_LAYOUT_LINEAR), flags};
}

// An io spec accepting `dtypes` in any of `layouts` (a KILN_LAYOUT_BIT mask).
inline kiln_io_spec io_layouts(uint64_t dtypes, uint32_t layouts, uint32_t flags = 0) {
  return kiln_io_spec{dtypes, layouts, flags};
}

namespace detail {

// Runs fn, turning any exception into a status reported through the host.
template <class Fn>
kiln_status guarded(Fn&& fn) noexcept {
  const kiln_host_api* host = host_api();
  try {
    fn();
    return KILN_OK;
  } catch (const Error& e) {
    return host ? host->set_error(e.status(), e.what()) : e.status();
  } catch (const std::bad_alloc&) {
    return host ? host->set_error(KILN_ERROR_OUT_OF_MEMORY, "out of memory") : KILN_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    return host ? host->set_error(KILN_ERROR_INTERNAL, e.what()) : KILN_ERROR_INTERNAL;
  } catch (...) {
    return host ? host->set_error(KILN_ERROR_INTERNAL, "unknown exception") : KILN_ERROR_INTERNAL;
  }
}

// Detection of optional hooks.
template <class K, class = void> struct has_infer : std::false_type {};
template <class K>
struct has_infer<K, std::void_t<decltype(K::infer(std::declval<const Node&>(), std::declval<InferContext&>()))>>
    : std::true_type {};
template <class K, class = void> struct has_check : std::false_type {};
template <class K>
struct has_check<K, std::void_t<decltype(K::check(std::declval<const Node&>()))>> : std::true_type {};
template <class K, class = void> struct has_workspace : std::false_type {};
template <class K>
struct has_workspace<K, std::void_t<decltype(std::declval<const K&>().workspace_size(
                            std::declval<const ExecContext&>()))>> : std::true_type {};
template <class K, class = void> struct has_serialize : std::false_type {};
template <class K>
struct has_serialize<K, std::void_t<decltype(std::declval<const K&>().serialize()),
                                    decltype(K(std::declval<const Node&>(), std::declval<const uint8_t*>(),
                                               std::declval<size_t>()))>> : std::true_type {};

template <class K> struct Trampolines {
  static kiln_status check(void*, const kiln_host_api* host, const kiln_node* node, char* reason,
                           size_t capacity) noexcept {
    std::string why;
    kiln_status status = guarded([&] { why = K::check(Node(host, node)); });
    if (status != KILN_OK) return status;
    if (why.empty()) return KILN_OK;
    if (reason && capacity > 0) {
      size_t n = why.size() < capacity - 1 ? why.size() : capacity - 1;
      std::memcpy(reason, why.data(), n);
      reason[n] = '\0';
    }
    return KILN_ERROR_UNSUPPORTED;
  }
  static kiln_status infer(void*, const kiln_host_api* host, const kiln_node* node, kiln_infer_ctx* ctx) noexcept {
    return guarded([&] {
      Node n(host, node);
      InferContext ictx(host, ctx, n.num_inputs());
      K::infer(n, ictx);
    });
  }
  static kiln_status create(void*, const kiln_host_api* host, const kiln_node* node, void** state) noexcept {
    return guarded([&] { *state = new K(Node(host, node)); });
  }
  static kiln_status workspace_size(void* state, const kiln_exec_ctx* ctx, size_t* bytes) noexcept {
    return guarded([&] {
      const ExecContext e(ctx);
      *bytes = static_cast<const K*>(state)->workspace_size(e);
    });
  }
  static kiln_status execute(void* state, const kiln_exec_ctx* ctx) noexcept {
    return guarded([&] {
      ExecContext e(ctx);
      static_cast<K*>(state)->execute(e);
    });
  }
  static void destroy(void* state) noexcept { delete static_cast<K*>(state); }
  static kiln_status serialize(void* state, void* buffer, size_t capacity, size_t* written) noexcept {
    return guarded([&] {
      const std::vector<uint8_t> bytes = static_cast<const K*>(state)->serialize();
      *written = bytes.size();
      if (!buffer) return;
      if (capacity < bytes.size()) fail(KILN_ERROR_BUFFER_TOO_SMALL, "serialize: buffer too small");
      if (!bytes.empty()) std::memcpy(buffer, bytes.data(), bytes.size());
    });
  }
  static kiln_status deserialize(void*, const kiln_host_api* host, const kiln_node* node, const void* bytes,
                                 size_t length, void** state) noexcept {
    return guarded([&] { *state = new K(Node(host, node), static_cast<const uint8_t*>(bytes), length); });
  }
};

// Storage that keeps a descriptor's strings and arrays alive for the library's lifetime.
struct DescStorage {
  KernelSpec spec;
  std::vector<kiln_pattern_step> pattern;
  kiln_kernel_desc desc{};
};

}  // namespace detail

// Fills `s.desc` from `s.spec` with K's hooks; the descriptor points into `s`, which never moves.
template <class K>
void fill_descriptor(detail::DescStorage& s) {
  for (const PatternStep& p : s.spec.pattern)
    s.pattern.push_back(kiln_pattern_step{p.domain.c_str(), p.op_type.c_str(), p.chained_input, p.flags});
  using T = detail::Trampolines<K>;
  kiln_kernel_desc& d = s.desc;
  d.struct_size = sizeof(kiln_kernel_desc);
  d.name = s.spec.name.c_str();
  d.domain = s.spec.domain.c_str();
  d.op_type = s.spec.op_type.c_str();
  d.opset_min = s.spec.opset_min;
  d.opset_max = s.spec.opset_max;
  d.device = s.spec.device;
  d.flags = s.spec.flags;
  d.num_input_specs = static_cast<int32_t>(s.spec.inputs.size());
  d.inputs = s.spec.inputs.data();
  d.num_output_specs = static_cast<int32_t>(s.spec.outputs.size());
  d.outputs = s.spec.outputs.data();
  d.pattern_length = static_cast<int32_t>(s.pattern.size());
  d.pattern = s.pattern.empty() ? nullptr : s.pattern.data();
  d.user_data = nullptr;
  if constexpr (detail::has_check<K>::value) d.check = &T::check;
  if constexpr (detail::has_infer<K>::value) d.infer = &T::infer;
  d.create = &T::create;
  if constexpr (detail::has_workspace<K>::value) d.workspace_size = &T::workspace_size;
  d.execute = &T::execute;
  d.destroy = &T::destroy;
  if constexpr (detail::has_serialize<K>::value) {
    d.serialize = &T::serialize;
    d.deserialize = &T::deserialize;
  }
}

// The descriptor of kernel class K, built once. Its storage is a static of the plugin library, so it is
// destroyed when the library is unloaded (nothing leaks across load/unload cycles).
template <class K>
const kiln_kernel_desc* describe() {
  static detail::DescStorage storage{K::spec(), {}, {}};
  static const bool filled = (fill_descriptor<K>(storage), true);
  (void)filled;
  return &storage.desc;
}

// (ABI 1.2) The core's timing cache: the value stored under `key`, or "" when the core has none (or is older).
inline std::string tuning_get(const std::string& key) {
  const kiln_host_api* host = host_api();
  if (!host || host->struct_size <= offsetof(kiln_host_api, tuning_get) || !host->tuning_get) return "";
  const char* value = host->tuning_get(key.c_str());
  return value ? value : "";
}
inline void tuning_put(const std::string& key, const std::string& value) {
  const kiln_host_api* host = host_api();
  if (host && host->struct_size > offsetof(kiln_host_api, tuning_put) && host->tuning_put)
    host->tuning_put(key.c_str(), value.c_str());
}

// A function returning one kernel's descriptor; a plugin's table is an array of these.
using KernelFactory = const kiln_kernel_desc* (*)();

// Builds the plugin descriptor from a table of kernel factories; for use in the entry function.
// `device_api`: the device the pack brings (ABI 1.2), or NULL. `plan_compat_min` (ABI 1.4): the oldest version
// of the pack whose plans this version still runs, or NULL for plans built with exactly this version.
template <size_t N>
const kiln_plugin_desc* define_plugin(const kiln_host_api* host, const char* name, const char* version,
                                      const char* description, const KernelFactory (&table)[N],
                                      const kiln_device_api* device_api = nullptr,
                                      const char* plan_compat_min = nullptr) noexcept {
  host_api() = host;
  static std::vector<const kiln_kernel_desc*> kernels;
  static kiln_plugin_desc desc{};
  const kiln_status status = detail::guarded([&] {
    if (kernels.empty())
      for (KernelFactory factory : table) kernels.push_back(factory());
  });
  if (status != KILN_OK) return nullptr;
  desc.struct_size = sizeof desc;
  desc.abi_version = KILN_ABI_VERSION;
  desc.name = name;
  desc.version = version;
  desc.description = description;
  desc.num_kernels = static_cast<int32_t>(kernels.size());
  desc.kernels = kernels.data();
  desc.device_api = device_api;
  desc.plan_compat_min = plan_compat_min;
  return &desc;
}

}  // namespace kiln

// Defines the library's one exported symbol from a table of kernel factories:
//   static const kiln::KernelFactory kKernels[] = {&kiln::describe<Swish>};
//   KILN_DEFINE_PLUGIN("com.example.swish", "1.0.0", "Swish activation", kKernels)
#define KILN_DEFINE_PLUGIN(name, version, description, table)                                            \
  extern "C" KILN_PLUGIN_EXPORT const kiln_plugin_desc* kiln_plugin_entry(const kiln_host_api* host) { \
    return kiln::define_plugin(host, name, version, description, table);                                \
  }

// The same for a pack that brings a device (ABI 1.2): `device_api` is a `const kiln_device_api*`.
#define KILN_DEFINE_DEVICE_PLUGIN(name, version, description, table, device_api)                         \
  extern "C" KILN_PLUGIN_EXPORT const kiln_plugin_desc* kiln_plugin_entry(const kiln_host_api* host) { \
    return kiln::define_plugin(host, name, version, description, table, device_api);                    \
  }

// KILN_DEFINE_PLUGIN for a pack whose serialized state has not changed since an older version (ABI 1.4): plans
// built with any version from `plan_compat_min` up to this one load with it (a device pack passes it as
// kiln::define_plugin's last argument).
//   KILN_DEFINE_PLUGIN_COMPAT("com.example.swish", "1.3.0", "1.1.0", "Swish activation", kKernels)
#define KILN_DEFINE_PLUGIN_COMPAT(name, version, plan_compat_min, description, table)                     \
  extern "C" KILN_PLUGIN_EXPORT const kiln_plugin_desc* kiln_plugin_entry(const kiln_host_api* host) { \
    return kiln::define_plugin(host, name, version, description, table, nullptr, plan_compat_min);      \
  }

#endif  // KILN_PLUGIN_HPP
