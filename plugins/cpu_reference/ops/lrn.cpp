// LRN (local response normalisation across channels):
//   y[n,c,...] = x[n,c,...] / (bias + alpha / size * sum of x[n,c',...]^2 over c' in [c - floor((size-1)/2),
//                                                                                      c + ceil((size-1)/2)])^beta
#include <cmath>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

struct Lrn {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.LRN";
    s.op_type = "LRN";
    s.inputs = {io(FloatTypes::mask)};
    s.outputs = {io(FloatTypes::mask)};
    return s;
  }
  explicit Lrn(const Node& node)
      : alpha(node.attr_float("alpha", 1e-4f)),
        beta(node.attr_float("beta", 0.75f)),
        bias(node.attr_float("bias", 1.0f)),
        size(node.attr_int("size")) {
    if (size <= 0) fail_invalid("LRN '" + node.name() + "': size must be positive");
  }
  static void infer(const Node&, InferContext& ctx) { infer_same_as_input(ctx); }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = x.shape();
    if (dims.size() < 2) fail_invalid("LRN: X must have rank >= 2 (N, C, ...)");
    const int64_t batch = dims[0], channels = dims[1], spatial = span_size(dims, 2, dims.size());
    const int64_t before = (size - 1) / 2, after = size - 1 - before;
    FloatTypes::dispatch(x.dtype(), "LRN", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const T* in = x.data<T>();
      T* out = y.data<T>();
      auto at = [&](int64_t n, int64_t c, int64_t s) { return (n * channels + c) * spatial + s; };
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t c = 0; c < channels; ++c)
          for (int64_t s = 0; s < spatial; ++s) {
            double square_sum = 0;
            for (int64_t k = std::max<int64_t>(0, c - before); k <= std::min(channels - 1, c + after); ++k) {
              const double v = static_cast<double>(static_cast<C>(in[at(n, k, s)]));
              square_sum += v * v;
            }
            const double scale =
                static_cast<double>(bias) + static_cast<double>(alpha) / static_cast<double>(size) * square_sum;
            const double v = static_cast<double>(static_cast<C>(in[at(n, c, s)]));
            out[at(n, c, s)] = static_cast<T>(static_cast<C>(v / std::pow(scale, static_cast<double>(beta))));
          }
    });
  }
  float alpha, beta, bias;
  int64_t size;
};

}  // namespace

const kiln_kernel_desc* lrn_kernel() { return describe<Lrn>(); }

}  // namespace kiln::cpu_ref
