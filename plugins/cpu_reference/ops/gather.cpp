// Gather (take slices along an axis at given indices) and GatherElements (per-element indices).
#include <cstring>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr uint64_t kAnyType = AllTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16);
constexpr uint64_t kIndexTypes = KILN_DTYPE_BIT(KILN_DTYPE_INT32) | KILN_DTYPE_BIT(KILN_DTYPE_INT64);

// An index in [-n, n) made non-negative; anything else is an error naming the op.
int64_t checked_index(int64_t i, int64_t n, const char* op) {
  if (i < -n || i >= n) fail_invalid(std::string(op) + ": index " + std::to_string(i) + " is out of range [" + std::to_string(-n) + ", " + std::to_string(n) + ")");
  return i < 0 ? i + n : i;
}

KernelSpec gather_spec(const char* op, int since) {
  KernelSpec s;
  s.name = std::string("kiln.cpu_ref.") + op;
  s.op_type = op;
  s.opset_min = since;
  s.inputs = {io(kAnyType), io(kIndexTypes)};
  s.outputs = {io(kAnyType)};
  return s;
}

struct Gather {
  static KernelSpec spec() { return gather_spec("Gather", 1); }
  explicit Gather(const Node& node) : axis(node.attr_int("axis", 0)) {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0), idx = ctx.input(1);
    if (!x.has_rank || !idx.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    const int a = normalize_axis(node.attr_int("axis", 0), x.rank(), "Gather");
    std::vector<int64_t> out(x.dims.begin(), x.dims.begin() + a);
    out.insert(out.end(), idx.dims.begin(), idx.dims.end());
    out.insert(out.end(), x.dims.begin() + a + 1, x.dims.end());
    ctx.set_output(0, x.dtype, out);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> indices = ctx.input(1).int_values();
    const std::vector<int64_t> dims = x.shape();
    const int a = normalize_axis(axis, x.rank(), "Gather");
    const int64_t outer = span_size(dims, 0, static_cast<size_t>(a));
    const int64_t block = span_size(dims, static_cast<size_t>(a) + 1, dims.size()) * static_cast<int64_t>(dtype_size(x.dtype()));
    const auto* in = static_cast<const uint8_t*>(x.raw());
    auto* out = static_cast<uint8_t*>(y.raw());
    const int64_t n = static_cast<int64_t>(indices.size());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < n; ++k) {
        const int64_t i = checked_index(indices[k], dims[a], "Gather");
        std::memcpy(out + (o * n + k) * block, in + (o * dims[a] + i) * block, static_cast<size_t>(block));
      }
  }
  int64_t axis;
};

struct GatherElements {
  static KernelSpec spec() { return gather_spec("GatherElements", 11); }
  explicit GatherElements(const Node& node) : axis(node.attr_int("axis", 0)) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo idx = ctx.input(1);
    if (!idx.has_rank) return ctx.set_output_unknown_rank(0, ctx.input(0).dtype);
    ctx.set_output(0, ctx.input(0).dtype, idx.dims);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> indices = ctx.input(1).int_values();
    const std::vector<int64_t> out_dims = y.shape(), in_strides = dense_strides(x.shape());
    const int a = normalize_axis(axis, x.rank(), "GatherElements");
    const size_t elem = dtype_size(x.dtype());
    std::vector<int64_t> counter(out_dims.size(), 0);
    for (size_t k = 0; k < indices.size(); ++k) {
      int64_t at = 0;
      for (size_t d = 0; d < out_dims.size(); ++d)
        at += (static_cast<int>(d) == a ? checked_index(indices[k], x.dim(a), "GatherElements") : counter[d]) * in_strides[d];
      std::memcpy(static_cast<uint8_t*>(y.raw()) + k * elem, static_cast<const uint8_t*>(x.raw()) + at * static_cast<int64_t>(elem), elem);
      for (size_t d = out_dims.size(); d-- > 0;) {
        if (++counter[d] < out_dims[d]) break;
        counter[d] = 0;
      }
    }
  }
  int64_t axis;
};

}  // namespace

const kiln_kernel_desc* gather_kernel() { return describe<Gather>(); }
const kiln_kernel_desc* gather_elements_kernel() { return describe<GatherElements>(); }

}  // namespace kiln::cpu_ref
