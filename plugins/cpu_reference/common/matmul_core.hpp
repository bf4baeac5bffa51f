// The math of MatMul and Gemm, shared by their kernels (ops/matmul.cpp) and the fused GemmFused and
// MatMulAddFused (ops/fused_gemm.cpp): output shapes, checks, and the products in the product type, before
// the final cast to the storage type (which a fused kernel precedes with its epilogue).
//
// Products run in the product type: float for float16 and float32, double for double, and uint64 for every
// integer type, whose wraparound is defined and, cast back, equals the type's own modulo arithmetic.
#ifndef KILN_CPU_REF_MATMUL_CORE_HPP
#define KILN_CPU_REF_MATMUL_CORE_HPP

#include <string>
#include <type_traits>
#include <vector>

#include "common/elementwise.hpp"
#include "common/gemm.hpp"
#include "common/nn_values.hpp"

namespace kiln::cpu_ref {

using MatMulTypes = DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_FLOAT16, KILN_DTYPE_INT32,
                             KILN_DTYPE_INT64, KILN_DTYPE_UINT32, KILN_DTYPE_UINT64>;

template <class T> using product_type_t = std::conditional_t<std::is_integral_v<T>, uint64_t, compute_type_t<T>>;

inline void require_same_dtype(const Tensor& a, const Tensor& b, const Tensor& y, const char* op) {
  if (a.dtype() != b.dtype() || a.dtype() != y.dtype())
    fail_invalid(std::string(op) + ": A, B and Y must share one dtype (" + dtype_name(a.dtype()) + ", " +
                 dtype_name(b.dtype()) + ", " + dtype_name(y.dtype()) + ")");
}

// MatMul's output dims, given both operands' dims (1-D operands promoted and their unit dim dropped after).
inline std::vector<int64_t> matmul_shape(std::vector<int64_t> a, std::vector<int64_t> b) {
  if (a.empty() || b.empty()) fail_invalid("MatMul: operands must have rank >= 1");
  const bool a_vector = a.size() == 1, b_vector = b.size() == 1;
  if (a_vector) a.insert(a.begin(), 1);
  if (b_vector) b.push_back(1);
  const int64_t k = a.back();
  if (k >= 0 && b[b.size() - 2] >= 0 && k != b[b.size() - 2])
    fail_invalid("MatMul: inner dims differ (" + std::to_string(k) + " vs " + std::to_string(b[b.size() - 2]) + ")");
  std::vector<int64_t> out =
      broadcast_shapes({std::vector<int64_t>(a.begin(), a.end() - 2), std::vector<int64_t>(b.begin(), b.end() - 2)});
  if (!a_vector) out.push_back(a[a.size() - 2]);
  if (!b_vector) out.push_back(b.back());
  return out;
}

// A * B with numpy's batching, in product type P; checks dtypes and Y's shape.
template <class T, class P = product_type_t<T>>
std::vector<P> matmul_product(const Tensor& a, const Tensor& b, const Tensor& y) {
  require_same_dtype(a, b, y, "MatMul");
  if (matmul_shape(a.shape(), b.shape()) != y.shape()) fail_invalid("MatMul: the output shape does not match the inputs");
  std::vector<int64_t> ad = a.shape(), bd = b.shape();
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  const int64_t m = ad[ad.size() - 2], k = ad.back(), n = bd.back();
  const std::vector<int64_t> a_batch(ad.begin(), ad.end() - 2), b_batch(bd.begin(), bd.end() - 2);
  const std::vector<int64_t> batch = broadcast_shapes({a_batch, b_batch});
  const std::vector<P> av = values_as<P>(a, "MatMul"), bv = values_as<P>(b, "MatMul");
  std::vector<P> out(static_cast<size_t>(product(batch) * m * n));
  for_each_broadcast<2>(batch, {a_batch, b_batch}, [&](int64_t i, const std::array<int64_t, 2>& at) {
    gemm<P>(m, n, k, av.data() + at[0] * m * k, k, false, bv.data() + at[1] * k * n, n, false, out.data() + i * m * n,
            n, false);
  });
  return out;
}

// Gemm's attributes and math: Y = alpha * A' * B' + beta * C, C broadcast to [M, N].
struct GemmAttrs {
  explicit GemmAttrs(const Node& node)
      : alpha(node.attr_float("alpha", 1.0f)),
        beta(node.attr_float("beta", 1.0f)),
        trans_a(node.attr_int("transA", 0) != 0),
        trans_b(node.attr_int("transB", 0) != 0) {}

  // Output 0 from inputs 0 (A) and 1 (B).
  void infer(InferContext& ctx) const {
    const ValueInfo a = ctx.input(0), b = ctx.input(1);
    if (!a.has_rank || !b.has_rank) return ctx.set_output(0, a.dtype, {-1, -1});
    if (a.rank() != 2 || b.rank() != 2) fail_invalid("Gemm: A and B must be 2-D");
    ctx.set_output(0, a.dtype, {a.dims[trans_a ? 1 : 0], b.dims[trans_b ? 0 : 1]});
  }

  // Y's [M, N] values in product type P (c: nullptr when absent); checks dtypes and shapes.
  template <class T, class P = product_type_t<T>>
  std::vector<P> evaluate(const Tensor& a, const Tensor& b, const Tensor* c, const Tensor& y) const {
    require_same_dtype(a, b, y, "Gemm");
    if (c && c->dtype() != a.dtype()) fail_invalid("Gemm: C must have A's dtype");
    if (a.rank() != 2 || b.rank() != 2) fail_invalid("Gemm: A and B must be 2-D");
    const int64_t m = a.dim(trans_a ? 1 : 0), k = a.dim(trans_a ? 0 : 1), n = b.dim(trans_b ? 0 : 1);
    if (b.dim(trans_b ? 1 : 0) != k)
      fail_invalid("Gemm: inner dims differ (" + std::to_string(k) + " vs " + std::to_string(b.dim(trans_b ? 1 : 0)) + ")");
    const std::vector<int64_t> bias_dims = c ? c->shape() : std::vector<int64_t>();
    if (c && broadcast_shapes({bias_dims, {m, n}}) != std::vector<int64_t>{m, n})
      fail_invalid("Gemm: C cannot broadcast to [" + std::to_string(m) + ", " + std::to_string(n) + "]");
    const std::vector<P> av = values_as<P>(a, "Gemm"), bv = values_as<P>(b, "Gemm");
    std::vector<P> out(static_cast<size_t>(m * n));
    gemm<P>(m, n, k, av.data(), a.dim(1), trans_a, bv.data(), b.dim(1), trans_b, out.data(), n, false);
    const std::vector<P> bias = c ? values_as<P>(*c, "Gemm") : std::vector<P>();
    for_each_broadcast<1>({m, n}, {bias_dims}, [&](int64_t i, const std::array<int64_t, 1>& at) {
      out[i] = combine<T>(out[i], bias.empty() ? P(0) : bias[at[0]]);
    });
    return out;
  }

  // alpha * product + beta * bias. Integers stay exact when alpha and beta are 1; otherwise, as in ONNX's
  // reference, the float scaling happens in double and the result is cast to T (and back to P, losslessly).
  template <class T, class P> P combine(P product, P bias) const {
    if constexpr (std::is_integral_v<T>) {
      if (alpha == 1.0f && beta == 1.0f) return product + bias;
      const double value = static_cast<double>(alpha) * static_cast<double>(static_cast<T>(product)) +
                           static_cast<double>(beta) * static_cast<double>(static_cast<T>(bias));
      return static_cast<P>(value_cast<T>(value));
    } else {
      return P(alpha) * product + P(beta) * bias;
    }
  }

  float alpha, beta;
  bool trans_a, trans_b;
};

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_MATMUL_CORE_HPP
