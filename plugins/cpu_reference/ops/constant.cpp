// Constant: the value of its one attribute (value, value_float(s), value_int(s)).
#include <cstring>

#include "common/element_value.hpp"

namespace kiln::cpu_ref {
namespace {

struct Constant {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Constant";
    s.op_type = "Constant";
    s.outputs = {io(kEveryDtype)};
    return s;
  }
  static std::string check(const Node& node) {
    for (const char* unsupported : {"sparse_value", "value_string", "value_strings"})
      if (node.has(unsupported)) return std::string("attribute '") + unsupported + "' is not supported";
    return "";
  }
  explicit Constant(const Node& node) {
    if (node.has("value")) {
      const Tensor t = node.attr_tensor("value");
      dtype = t.dtype();
      dims = t.shape();
      bytes.assign(static_cast<const uint8_t*>(t.raw()), static_cast<const uint8_t*>(t.raw()) + t.bytes());
    } else if (node.has("value_float")) {
      set_scalar(KILN_DTYPE_FLOAT32, node.attr_float("value_float"));
    } else if (node.has("value_int")) {
      set_scalar(KILN_DTYPE_INT64, node.attr_int("value_int"));
    } else if (node.has("value_floats")) {
      set_vector(KILN_DTYPE_FLOAT32, node.attr_floats("value_floats"));
    } else if (node.has("value_ints")) {
      set_vector(KILN_DTYPE_INT64, node.attr_ints("value_ints"));
    } else {
      fail_invalid("Constant '" + node.name() + "' has no value attribute");
    }
  }
  static void infer(const Node& node, InferContext& ctx) {
    const Constant c(node);
    ctx.set_output(0, c.dtype, c.dims);
  }
  void execute(ExecContext& ctx) {
    if (!bytes.empty()) std::memcpy(ctx.output(0).raw(), bytes.data(), bytes.size());
  }

  template <class T> void set_scalar(kiln_dtype d, T v) { set_vector(d, std::vector<T>{v}), dims.clear(); }
  template <class T> void set_vector(kiln_dtype d, const std::vector<T>& v) {
    dtype = d;
    dims = {static_cast<int64_t>(v.size())};
    bytes.resize(v.size() * sizeof(T));
    if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  }

  kiln_dtype dtype = KILN_DTYPE_UNDEFINED;
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;
};

}  // namespace

const kiln_kernel_desc* constant_kernel() { return describe<Constant>(); }

}  // namespace kiln::cpu_ref
