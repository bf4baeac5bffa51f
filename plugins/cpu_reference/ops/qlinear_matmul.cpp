// QLinearMatMul and MatMulInteger: MatMul (numpy batching and broadcasting, 1-D operands promoted) on
// integers less their zero points, accumulated exactly (int64, wrapped to int32 as ONNX's int32 result).
// MatMulInteger returns that int32; QLinearMatMul requantizes it as ONNX's reference does:
//   y = saturate(round_half_even(float64(acc) * (a_scale * b_scale / y_scale) + y_zero_point)),
// the multiplier computed in the scales' dtype. Zero points and scales of A are per tensor or per row
// (1-D of M), those of B per tensor or per column (1-D of N); y's are per tensor.
#include <algorithm>

#include "common/matmul_core.hpp"
#include "common/quantize.hpp"

namespace kiln::cpu_ref {
namespace {

// The matrix product of centered A and B (dims ad, bd) with numpy's batching, in int64, wrapped to int32.
std::vector<int32_t> integer_matmul(const std::vector<int64_t>& av, std::vector<int64_t> ad,
                                    const std::vector<int64_t>& bv, std::vector<int64_t> bd) {
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  const int64_t m = ad[ad.size() - 2], k = ad.back(), n = bd.back();
  const std::vector<int64_t> a_batch(ad.begin(), ad.end() - 2), b_batch(bd.begin(), bd.end() - 2);
  const std::vector<int64_t> batch = broadcast_shapes({a_batch, b_batch});
  std::vector<int64_t> acc(static_cast<size_t>(product(batch) * m * n));
  for_each_broadcast<2>(batch, {a_batch, b_batch}, [&](int64_t i, const std::array<int64_t, 2>& at) {
    gemm<int64_t>(m, n, k, av.data() + at[0] * m * k, k, false, bv.data() + at[1] * k * n, n, false,
                  acc.data() + i * m * n, n, false);
  });
  return std::vector<int32_t>(acc.begin(), acc.end());
}

// The axes along which A's zero point may be per row and B's per column.
int row_axis(const Tensor& a) { return a.rank() >= 2 ? a.rank() - 2 : -1; }
int column_axis(const Tensor& b) { return b.rank() >= 2 ? b.rank() - 1 : -1; }

void check_output_shape(const Tensor& a, const Tensor& b, const Tensor& y, const char* op) {
  if (matmul_shape(a.shape(), b.shape()) != y.shape())
    fail_invalid(std::string(op) + ": the output shape does not match the inputs");
}

struct MatMulInteger {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.MatMulInteger";
    s.op_type = "MatMulInteger";
    s.opset_min = 10;
    s.inputs = {io(Quant8Types::mask), io(Quant8Types::mask), io(Quant8Types::mask, KILN_IO_OPTIONAL),
                io(Quant8Types::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(KILN_DTYPE_BIT(KILN_DTYPE_INT32))};
    return s;
  }
  explicit MatMulInteger(const Node&) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo a = ctx.input(0), b = ctx.input(1);
    if (!a.has_rank || !b.has_rank) return ctx.set_output_unknown_rank(0, KILN_DTYPE_INT32);
    ctx.set_output(0, KILN_DTYPE_INT32, matmul_shape(a.dims, b.dims));
  }
  void execute(ExecContext& ctx) {
    const Tensor a = ctx.input(0), b = ctx.input(1), a_zero = ctx.input(2), b_zero = ctx.input(3), y = ctx.output(0);
    check_output_shape(a, b, y, "MatMulInteger");
    const std::vector<int64_t> av = centered(a, ctx.has_input(2) ? &a_zero : nullptr, row_axis(a), "MatMulInteger A");
    const std::vector<int64_t> bv = centered(b, ctx.has_input(3) ? &b_zero : nullptr, column_axis(b), "MatMulInteger B");
    const std::vector<int32_t> acc = integer_matmul(av, a.shape(), bv, b.shape());
    std::copy(acc.begin(), acc.end(), y.data<int32_t>());
  }
};

struct QLinearMatMul {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.QLinearMatMul";
    s.op_type = "QLinearMatMul";
    s.opset_min = 10;
    const kiln_io_spec q = io(Quant8Types::mask), scale = io(ScaleTypes::mask);
    // a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point
    s.inputs = {q, scale, io(Quant8Types::mask, KILN_IO_OPTIONAL), q, scale, io(Quant8Types::mask, KILN_IO_OPTIONAL),
                scale, io(Quant8Types::mask, KILN_IO_OPTIONAL)};
    s.outputs = {q};
    return s;
  }
  static std::string check(const Node& node) {
    for (int i : {6, 7})
      if (node.has_input(i) && node.input(i).shape_known() && node.input(i).numel() != 1)
        return "per-row y_scale or y_zero_point is not supported (only per-tensor)";
    if (node.input(1).dtype != node.input(4).dtype || node.input(1).dtype != node.input(6).dtype)
      return "the three scales must share one dtype";
    return "";
  }
  explicit QLinearMatMul(const Node&) {}
  // Y's dtype is y_zero_point's, else A's.
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo a = ctx.input(0), b = ctx.input(3);
    const kiln_dtype dtype = ctx.has_input(7) ? ctx.input(7).dtype : a.dtype;
    if (!a.has_rank || !b.has_rank) return ctx.set_output_unknown_rank(0, dtype);
    ctx.set_output(0, dtype, matmul_shape(a.dims, b.dims));
  }
  void execute(ExecContext& ctx) {
    const Tensor a = ctx.input(0), a_scale = ctx.input(1), a_zero = ctx.input(2), b = ctx.input(3);
    const Tensor b_scale = ctx.input(4), b_zero = ctx.input(5), y_scale = ctx.input(6), y_zero = ctx.input(7);
    const Tensor y = ctx.output(0);
    check_output_shape(a, b, y, "QLinearMatMul");
    const std::vector<int64_t> av = centered(a, ctx.has_input(2) ? &a_zero : nullptr, row_axis(a), "QLinearMatMul a");
    const std::vector<int64_t> bv = centered(b, ctx.has_input(5) ? &b_zero : nullptr, column_axis(b), "QLinearMatMul b");
    const std::vector<int32_t> acc = integer_matmul(av, a.shape(), bv, b.shape());

    // Output element i lies in row (i / n) % m and column i % n of its matrix (m = 1 for a 1-D A, n = 1 for a 1-D B).
    const int64_t m = a.rank() >= 2 ? a.dim(a.rank() - 2) : 1, n = b.rank() >= 2 ? b.dim(b.rank() - 1) : 1;
    const std::vector<double> as = values_as<double>(a_scale, "QLinearMatMul"), bs = values_as<double>(b_scale, "QLinearMatMul");
    if (as.size() != 1 && static_cast<int64_t>(as.size()) != m) fail_invalid("QLinearMatMul: a_scale must be per tensor or per row");
    if (bs.size() != 1 && static_cast<int64_t>(bs.size()) != n) fail_invalid("QLinearMatMul: b_scale must be per tensor or per column");
    const double ys = scalar_value(y_scale, "QLinearMatMul: y_scale");
    const double zero = ctx.has_input(7) ? scalar_value(y_zero, "QLinearMatMul: y_zero_point") : 0.0;
    Quant8Types::dispatch(y.dtype(), "QLinearMatMul", [&](auto tag) {
      using Q = decltype(tag);
      Q* out = y.data<Q>();
      for (size_t i = 0; i < acc.size(); ++i) {
        const int64_t row = (static_cast<int64_t>(i) / n) % m, column = static_cast<int64_t>(i) % n;
        const double multiplier = scale_ratio(a_scale.dtype(), as[as.size() == 1 ? 0 : row], bs[bs.size() == 1 ? 0 : column], ys);
        out[i] = saturate_round<Q>(static_cast<double>(acc[i]) * multiplier + zero);
      }
    });
  }
};

}  // namespace

const kiln_kernel_desc* mat_mul_integer_kernel() { return describe<MatMulInteger>(); }
const kiln_kernel_desc* q_linear_mat_mul_kernel() { return describe<QLinearMatMul>(); }

}  // namespace kiln::cpu_ref
