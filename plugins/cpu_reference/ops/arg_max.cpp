// ArgMax and ArgMin along one axis: int64 indices, keepdims, select_last_index (opset 12).
#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

template <bool kMax>
struct ArgExtreme {
  static constexpr const char* kName = kMax ? "ArgMax" : "ArgMin";
  static KernelSpec spec() {
    KernelSpec s;
    s.name = std::string("kiln.cpu_ref.") + kName;
    s.op_type = kName;
    s.inputs = {io(NumericTypes::mask)};
    s.outputs = {io(KILN_DTYPE_BIT(KILN_DTYPE_INT64))};
    return s;
  }
  explicit ArgExtreme(const Node& node)
      : axis(node.attr_int("axis", 0)), keepdims(node.attr_int("keepdims", 1) != 0), last(node.attr_int("select_last_index", 0) != 0) {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, KILN_DTYPE_INT64);
    const ArgExtreme k(node);
    const int a = normalize_axis(k.axis, x.rank(), kName);
    std::vector<int64_t> out = x.dims;
    if (k.keepdims) out[a] = 1;
    else out.erase(out.begin() + a);
    ctx.set_output(0, KILN_DTYPE_INT64, out);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0);
    const std::vector<int64_t> dims = x.shape();
    const size_t a = static_cast<size_t>(normalize_axis(axis, x.rank(), kName));
    const int64_t outer = span_size(dims, 0, a), n = dims[a], inner = span_size(dims, a + 1, dims.size());
    if (n == 0 && outer * inner > 0) fail_invalid(std::string(kName) + ": the axis is empty, so there is no index to return");
    int64_t* out = ctx.output(0).data<int64_t>();
    NumericTypes::dispatch(x.dtype(), kName, [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const T* in = x.data<T>();
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          int64_t best = 0;
          C best_value = static_cast<C>(in[o * n * inner + i]);
          for (int64_t k = 1; k < n; ++k) {
            const C v = static_cast<C>(in[(o * n + k) * inner + i]);
            const bool better = kMax ? (v > best_value || (last && v == best_value)) : (v < best_value || (last && v == best_value));
            if (better) best = k, best_value = v;
          }
          out[o * inner + i] = best;
        }
    });
  }
  int64_t axis;
  bool keepdims, last;
};

}  // namespace

const kiln_kernel_desc* arg_max_kernel() { return describe<ArgExtreme<true>>(); }
const kiln_kernel_desc* arg_min_kernel() { return describe<ArgExtreme<false>>(); }

}  // namespace kiln::cpu_ref
