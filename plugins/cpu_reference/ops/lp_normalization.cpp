// LpNormalization: y = x / ||x||_p along one axis, p being 1 or 2; a zero norm gives zeros. Norms in double.
#include <cmath>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

struct LpNormalization {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.LpNormalization";
    s.op_type = "LpNormalization";
    s.inputs = {io(FloatTypes::mask)};
    s.outputs = {io(FloatTypes::mask)};
    return s;
  }
  explicit LpNormalization(const Node& node) : axis(node.attr_int("axis", -1)), p(node.attr_int("p", 2)) {
    if (p != 1 && p != 2)
      fail_invalid("LpNormalization '" + node.name() + "': p must be 1 or 2, got " + std::to_string(p));
  }
  static void infer(const Node&, InferContext& ctx) { infer_same_as_input(ctx); }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = x.shape();
    const size_t a = static_cast<size_t>(normalize_axis(axis, x.rank(), "LpNormalization"));
    const int64_t outer = span_size(dims, 0, a), n = dims[a], inner = span_size(dims, a + 1, dims.size());
    FloatTypes::dispatch(x.dtype(), "LpNormalization", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const T* in = x.data<T>();
      T* out = y.data<T>();
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          auto at = [&](int64_t k) { return (o * n + k) * inner + i; };
          double norm = 0;
          for (int64_t k = 0; k < n; ++k) {
            const double v = static_cast<double>(static_cast<C>(in[at(k)]));
            norm += p == 1 ? std::fabs(v) : v * v;
          }
          if (p == 2) norm = std::sqrt(norm);
          for (int64_t k = 0; k < n; ++k) {
            const double v = static_cast<double>(static_cast<C>(in[at(k)]));
            out[at(k)] = static_cast<T>(static_cast<C>(norm == 0 ? 0.0 : v / norm));
          }
        }
    });
  }
  int64_t axis, p;
};

}  // namespace

const kiln_kernel_desc* lp_normalization_kernel() { return describe<LpNormalization>(); }

}  // namespace kiln::cpu_ref
