// Softmax, LogSoftmax and Hardmax over one axis (opset 13+), or over the flattened dims from `axis` on
// (before opset 13, where the input is coerced to 2-D).
#include <cmath>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

// Normalises one row of `n` values spaced `stride` apart.
struct SoftmaxRow {
  static void apply(const double* in, double* out, int64_t n) {
    double max = in[0], sum = 0;
    for (int64_t i = 1; i < n; ++i) max = std::max(max, in[i]);
    for (int64_t i = 0; i < n; ++i) sum += out[i] = std::exp(in[i] - max);
    for (int64_t i = 0; i < n; ++i) out[i] /= sum;
  }
};
struct LogSoftmaxRow {
  static void apply(const double* in, double* out, int64_t n) {
    double max = in[0], sum = 0;
    for (int64_t i = 1; i < n; ++i) max = std::max(max, in[i]);
    for (int64_t i = 0; i < n; ++i) sum += std::exp(in[i] - max);
    const double log_sum = std::log(sum);
    for (int64_t i = 0; i < n; ++i) out[i] = in[i] - max - log_sum;
  }
};
struct HardmaxRow {
  static void apply(const double* in, double* out, int64_t n) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i)
      if (in[i] > in[best]) best = i;  // the first maximum wins
    for (int64_t i = 0; i < n; ++i) out[i] = i == best ? 1.0 : 0.0;
  }
};

template <class Row, const char* Name>
struct SoftmaxFamily {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = std::string("kiln.cpu_ref.") + Name;
    s.op_type = Name;
    s.inputs = {io(FloatTypes::mask)};
    s.outputs = {io(FloatTypes::mask)};
    return s;
  }
  explicit SoftmaxFamily(const Node& node) : legacy(node.opset() < 13), axis(node.attr_int("axis", node.opset() < 13 ? 1 : -1)) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (x.has_rank) ctx.set_output(0, x.dtype, x.dims);
    else ctx.set_output_unknown_rank(0, x.dtype);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    if (x.numel() == 0) return;
    const std::vector<int64_t> dims = x.shape();
    const size_t a = static_cast<size_t>(normalize_axis(axis, x.rank(), Name));
    // Rows of `n` elements at stride `inner`, `outer` x `inner` of them.
    const int64_t outer = span_size(dims, 0, a);
    const int64_t n = legacy ? span_size(dims, a, dims.size()) : dims[a];
    const int64_t inner = legacy ? 1 : span_size(dims, a + 1, dims.size());
    FloatTypes::dispatch(x.dtype(), Name, [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const T* in = x.data<T>();
      T* out = y.data<T>();
      std::vector<double> row(static_cast<size_t>(n)), result(static_cast<size_t>(n));
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t base = o * n * inner + i;
          for (int64_t k = 0; k < n; ++k) row[k] = static_cast<double>(static_cast<C>(in[base + k * inner]));
          Row::apply(row.data(), result.data(), n);
          for (int64_t k = 0; k < n; ++k) out[base + k * inner] = static_cast<T>(static_cast<C>(result[k]));
        }
    });
  }
  bool legacy;
  int64_t axis;
};

constexpr char kSoftmax[] = "Softmax";
constexpr char kLogSoftmax[] = "LogSoftmax";
constexpr char kHardmax[] = "Hardmax";

}  // namespace

const kiln_kernel_desc* softmax_kernel() { return describe<SoftmaxFamily<SoftmaxRow, kSoftmax>>(); }
const kiln_kernel_desc* log_softmax_kernel() { return describe<SoftmaxFamily<LogSoftmaxRow, kLogSoftmax>>(); }
const kiln_kernel_desc* hardmax_kernel() { return describe<SoftmaxFamily<HardmaxRow, kHardmax>>(); }

}  // namespace kiln::cpu_ref
