// MatMul (numpy semantics: batched, broadcast batch dims, 1-D operands promoted) and Gemm
// (Y = alpha * A' * B' + beta * C, C broadcast to [M, N]).
#include "common/elementwise.hpp"
#include "common/gemm.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

using MatMulTypes = DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_FLOAT16, KILN_DTYPE_INT32,
                             KILN_DTYPE_INT64, KILN_DTYPE_UINT32, KILN_DTYPE_UINT64>;

// Copies tensor `t` (any shape broadcastable to batch + [rows, cols]) into compute-type C.
template <class T, class C>
std::vector<C> widen(const Tensor& t) {
  std::vector<C> out(static_cast<size_t>(t.numel()));
  const T* p = t.data<T>();
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<C>(p[i]);
  return out;
}

// MatMul's output dims, given both operands' dims (1-D operands promoted and their unit dim dropped after).
std::vector<int64_t> matmul_shape(std::vector<int64_t> a, std::vector<int64_t> b) {
  if (a.empty() || b.empty()) fail_invalid("MatMul: operands must have rank >= 1");
  const bool a_vector = a.size() == 1, b_vector = b.size() == 1;
  if (a_vector) a.insert(a.begin(), 1);
  if (b_vector) b.push_back(1);
  const int64_t k = a.back();
  if (k >= 0 && b[b.size() - 2] >= 0 && k != b[b.size() - 2])
    fail_invalid("MatMul: inner dims differ (" + std::to_string(k) + " vs " + std::to_string(b[b.size() - 2]) + ")");
  std::vector<int64_t> out = broadcast_shapes({std::vector<int64_t>(a.begin(), a.end() - 2), std::vector<int64_t>(b.begin(), b.end() - 2)});
  if (!a_vector) out.push_back(a[a.size() - 2]);
  if (!b_vector) out.push_back(b.back());
  return out;
}

struct MatMul {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.MatMul";
    s.op_type = "MatMul";
    s.inputs = {io(MatMulTypes::mask), io(MatMulTypes::mask)};
    s.outputs = {io(MatMulTypes::mask)};
    return s;
  }
  explicit MatMul(const Node&) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo a = ctx.input(0), b = ctx.input(1);
    if (!a.has_rank || !b.has_rank) return ctx.set_output_unknown_rank(0, a.dtype);
    ctx.set_output(0, a.dtype, matmul_shape(a.dims, b.dims));
  }
  void execute(ExecContext& ctx) {
    const Tensor a = ctx.input(0), b = ctx.input(1), y = ctx.output(0);
    std::vector<int64_t> ad = a.shape(), bd = b.shape();
    if (ad.size() == 1) ad.insert(ad.begin(), 1);
    if (bd.size() == 1) bd.push_back(1);
    const int64_t m = ad[ad.size() - 2], k = ad.back(), n = bd.back();
    const std::vector<int64_t> a_batch(ad.begin(), ad.end() - 2), b_batch(bd.begin(), bd.end() - 2);
    const std::vector<int64_t> batch = broadcast_shapes({a_batch, b_batch});
    MatMulTypes::dispatch(a.dtype(), "MatMul", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const std::vector<C> av = widen<T, C>(a), bv = widen<T, C>(b);
      std::vector<C> out(static_cast<size_t>(product(batch) * m * n));
      for_each_broadcast<2>(batch, {a_batch, b_batch}, [&](int64_t i, const std::array<int64_t, 2>& at) {
        gemm<C>(m, n, k, av.data() + at[0] * m * k, k, false, bv.data() + at[1] * k * n, n, false, out.data() + i * m * n, n, false);
      });
      T* py = y.data<T>();
      for (size_t i = 0; i < out.size(); ++i) py[i] = static_cast<T>(out[i]);
    });
  }
};

struct Gemm {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Gemm";
    s.op_type = "Gemm";
    s.opset_min = 7;
    s.inputs = {io(MatMulTypes::mask), io(MatMulTypes::mask), io(MatMulTypes::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(MatMulTypes::mask)};
    return s;
  }
  explicit Gemm(const Node& node)
      : alpha(node.attr_float("alpha", 1.0f)), beta(node.attr_float("beta", 1.0f)),
        trans_a(node.attr_int("transA", 0) != 0), trans_b(node.attr_int("transB", 0) != 0) {}
  static void infer(const Node& node, InferContext& ctx) {
    const Gemm g(node);
    const ValueInfo a = ctx.input(0), b = ctx.input(1);
    if (!a.has_rank || !b.has_rank) return ctx.set_output(0, a.dtype, {-1, -1});
    if (a.rank() != 2 || b.rank() != 2) fail_invalid("Gemm: A and B must be 2-D");
    ctx.set_output(0, a.dtype, {a.dims[g.trans_a ? 1 : 0], b.dims[g.trans_b ? 0 : 1]});
  }
  void execute(ExecContext& ctx) {
    const Tensor a = ctx.input(0), b = ctx.input(1), y = ctx.output(0);
    const int64_t m = y.dim(0), n = y.dim(1), k = a.dim(trans_a ? 0 : 1);
    MatMulTypes::dispatch(a.dtype(), "Gemm", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const std::vector<C> av = widen<T, C>(a), bv = widen<T, C>(b);
      std::vector<C> out(static_cast<size_t>(m * n));
      gemm<C>(m, n, k, av.data(), a.dim(1), trans_a, bv.data(), b.dim(1), trans_b, out.data(), n, false);
      std::vector<C> bias;
      std::vector<int64_t> bias_dims;
      if (ctx.has_input(2) && beta != 0) {
        bias = widen<T, C>(ctx.input(2));
        bias_dims = ctx.input(2).shape();
      }
      T* py = y.data<T>();
      if (bias.empty()) {
        for (int64_t i = 0; i < m * n; ++i) py[i] = static_cast<T>(C(alpha) * out[i]);
        return;
      }
      for_each_broadcast<1>({m, n}, {bias_dims}, [&](int64_t i, const std::array<int64_t, 1>& at) {
        py[i] = static_cast<T>(C(alpha) * out[i] + C(beta) * bias[at[0]]);
      });
    });
  }
  float alpha, beta;
  bool trans_a, trans_b;
};

}  // namespace

const kiln_kernel_desc* mat_mul_kernel() { return describe<MatMul>(); }
const kiln_kernel_desc* gemm_kernel() { return describe<Gemm>(); }

}  // namespace kiln::cpu_ref
