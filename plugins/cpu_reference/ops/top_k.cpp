// TopK: the k largest (or smallest, opset 11) elements along an axis and their int64 indices. k is an attribute
// before opset 10 and a one-element input after. Results are always sorted (what sorted=0 permits too); equal
// values keep the lower index first, as the spec asks.
#include <algorithm>
#include <numeric>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

struct TopK {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.TopK";
    s.op_type = "TopK";
    s.inputs = {io(NumericTypes::mask), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL)};
    s.outputs = {io(NumericTypes::mask), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64))};
    return s;
  }
  explicit TopK(const Node& node)
      : k_from_input(node.opset() >= 10),
        attr_k(node.attr_int("k", -1)),
        axis(node.attr_int("axis", -1)),
        largest(node.attr_int("largest", 1) != 0) {
    if (!k_from_input && attr_k < 0)
      fail_invalid("TopK '" + node.name() + "': attribute k is required before opset 10");
  }

  // k when known: from the attribute, or from input 1's data (constant, or at run time).
  bool known_k(const InferContext& ctx, int64_t& k) const {
    if (!k_from_input) return k = attr_k, true;
    std::vector<int64_t> values;
    if (!known_ints(ctx, 1, values)) return false;
    if (values.size() != 1) fail_invalid("TopK: K must hold exactly one value");
    return k = values[0], true;
  }

  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) {
      ctx.set_output_unknown_rank(0, x.dtype);
      ctx.set_output_unknown_rank(1, KILN_DTYPE_INT64);
      return;
    }
    const TopK op(node);
    std::vector<int64_t> out = x.dims;
    int64_t k = -1;
    out[static_cast<size_t>(normalize_axis(op.axis, x.rank(), "TopK"))] = op.known_k(ctx, k) ? k : -1;
    ctx.set_output(0, x.dtype, out);
    ctx.set_output(1, KILN_DTYPE_INT64, out);
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), values = ctx.output(0), indices = ctx.output(1);
    const std::vector<int64_t> dims = x.shape();
    const size_t a = static_cast<size_t>(normalize_axis(axis, x.rank(), "TopK"));
    int64_t k = attr_k;
    if (k_from_input) {
      const std::vector<int64_t> kv = ctx.input(1).int_values();
      if (kv.size() != 1) fail_invalid("TopK: K must hold exactly one value");
      k = kv[0];
    }
    if (k < 0 || k > dims[a])
      fail_invalid("TopK: k = " + std::to_string(k) + " is outside [0, " + std::to_string(dims[a]) + "]");
    const int64_t outer = span_size(dims, 0, a), n = dims[a], inner = span_size(dims, a + 1, dims.size());
    int64_t* out_indices = indices.data<int64_t>();
    NumericTypes::dispatch(x.dtype(), "TopK", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const T* in = x.data<T>();
      T* out_values = values.data<T>();
      std::vector<int64_t> order(static_cast<size_t>(n));
      std::vector<C> row(static_cast<size_t>(n));
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          for (int64_t j = 0; j < n; ++j) row[j] = static_cast<C>(in[(o * n + j) * inner + i]);
          std::iota(order.begin(), order.end(), 0);
          // A strict weak order (NaN ranks above every number) by value, then by index: ties keep the lower
          // index first.
          auto above = [](C u, C v) { return u != u ? v == v : v != v ? false : u > v; };
          std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t p, int64_t q) {
            const C u = row[p], v = row[q];
            if (above(u, v) || above(v, u)) return largest ? above(u, v) : above(v, u);
            return p < q;
          });
          for (int64_t j = 0; j < k; ++j) {
            const int64_t at = (o * k + j) * inner + i;
            out_values[at] = in[(o * n + order[j]) * inner + i];
            out_indices[at] = order[j];
          }
        }
    });
  }

  bool k_from_input;
  int64_t attr_k, axis;
  bool largest;
};

}  // namespace

const kiln_kernel_desc* top_k_kernel() { return describe<TopK>(); }

}  // namespace kiln::cpu_ref
