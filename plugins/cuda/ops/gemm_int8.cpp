// INT8 products (docs/quantization.md): GemmInt8 takes a Gemm and MatMulInt8 a MatMul whose activation A is int8
// on a symmetric per-tensor grid and whose B is a float constant, both on kiln's own int8 kernel
// (common/gemm_int8_layer.hpp). Y is int8 on a symmetric grid or float32 (an INT8 layer before float readers, as
// a classifier's logits are). Flagged KILN_KERNEL_QUANTIZED: they read the scales of A and Y.
//
// Gemm: transA=0 (A's rows as stored), transB either way, alpha and beta, C a constant bias (one value, or one
// per column). MatMul: A [..., K] (its leading dims are the product's rows), B [K, N].
#include <algorithm>

#include "common/gemm_int8_layer.hpp"
#include "common/quant_params.hpp"

namespace kiln::cuda {
namespace {

constexpr uint64_t kInt8 = KILN_DTYPE_BIT(KILN_DTYPE_INT8);
constexpr uint64_t kFloat32 = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32);
constexpr uint32_t kLinear = KILN_LAYOUT_BIT(KILN_LAYOUT_LINEAR);

// Y's dtype: common/quant_params.hpp's rule. These shape functions may serve the float kernels of the op too (a
// kernel without one borrows the first loaded), so they answer for float operands as the reference does.
void infer_gemm(const Node& node, InferContext& ctx) {
  const ValueInfo a = ctx.input(0), b = ctx.input(1);
  const kiln_dtype dtype = quantized_layer_output_dtype(node, a);
  if (!a.has_rank || !b.has_rank || a.rank() != 2 || b.rank() != 2) return ctx.set_output_unknown_rank(0, dtype);
  const bool trans_a = node.attr_int("transA", 0) != 0, trans_b = node.attr_int("transB", 0) != 0;
  ctx.set_output(0, dtype, {a.dims[trans_a ? 1 : 0], b.dims[trans_b ? 0 : 1]});
}

// numpy's matmul: 1-D operands promoted and their dim dropped again, batch dims broadcast.
void infer_matmul(const Node& node, InferContext& ctx) {
  const ValueInfo a = ctx.input(0), b = ctx.input(1);
  const kiln_dtype dtype = quantized_layer_output_dtype(node, a);
  if (!a.has_rank || !b.has_rank || a.rank() == 0 || b.rank() == 0) return ctx.set_output_unknown_rank(0, dtype);
  std::vector<int64_t> ad = a.dims, bd = b.dims;
  const bool a_vector = ad.size() == 1, b_vector = bd.size() == 1;
  if (a_vector) ad.insert(ad.begin(), 1);
  if (b_vector) bd.push_back(1);
  const size_t batch = std::max(ad.size(), bd.size()) - 2, a_batch = ad.size() - 2, b_batch = bd.size() - 2;
  std::vector<int64_t> out;
  for (size_t i = 0; i < batch; ++i) {
    const int64_t da = i < batch - a_batch ? 1 : ad[i - (batch - a_batch)];
    const int64_t db = i < batch - b_batch ? 1 : bd[i - (batch - b_batch)];
    out.push_back(da == 1 ? db : db == 1 ? da : (da < 0 || db < 0) ? -1 : da);
  }
  if (!a_vector) out.push_back(ad[ad.size() - 2]);
  if (!b_vector) out.push_back(bd.back());
  ctx.set_output(0, dtype, out);
}

KernelSpec int8_product_spec(const char* name, const char* op_type) {
  KernelSpec s;
  s.name = name;
  s.op_type = op_type;
  s.device = KILN_DEVICE_CUDA;
  s.flags = KILN_KERNEL_QUANTIZED;
  s.inputs = {io_layouts(kInt8, kLinear), io(kFloat32)};
  s.outputs = {io_layouts(kInt8 | kFloat32, kLinear)};
  return s;
}

struct GemmInt8 {
  static KernelSpec spec() {
    KernelSpec s = int8_product_spec("kiln.cuda.GemmInt8", "Gemm");
    s.inputs.push_back(io(kFloat32, KILN_IO_OPTIONAL));  // C
    return s;
  }
  static GemmInt8Recipe recipe_of(const Node& node) {
    GemmInt8Recipe r;
    r.trans_b = node.attr_int("transB", 0) != 0;
    r.alpha = node.attr_float("alpha", 1.0f);
    r.beta = node.attr_float("beta", 1.0f);
    r.c_input = node.has_input(2) ? 2 : -1;
    return r;
  }
  static std::string check(const Node& node) {
    if (node.attr_int("transA", 0) != 0) return "transA=1 is not run here: A's int8 rows are read as stored";
    const ValueInfo a = node.input(0);
    if (a.has_rank && a.rank() != 2) return "Gemm's A must be 2-D";
    return gemm_int8_reason(node, recipe_of(node));
  }
  static void infer(const Node& node, InferContext& ctx) { infer_gemm(node, ctx); }

  explicit GemmInt8(const Node& node) : layer(node, recipe_of(node)) {}
  void execute(ExecContext& ctx) { layer.execute(ctx); }

  GemmInt8Layer layer;
};

struct MatMulInt8 {
  static KernelSpec spec() { return int8_product_spec("kiln.cuda.MatMulInt8", "MatMul"); }
  static std::string check(const Node& node) {
    const ValueInfo a = node.input(0);
    if (a.has_rank && a.rank() < 2) return "A of rank " + std::to_string(a.rank()) + ": rows of K values (rank 2 or more) only";
    return gemm_int8_reason(node, GemmInt8Recipe{});
  }
  static void infer(const Node& node, InferContext& ctx) { infer_matmul(node, ctx); }

  explicit MatMulInt8(const Node& node) : layer(node, GemmInt8Recipe{}) {}
  void execute(ExecContext& ctx) { layer.execute(ctx); }

  GemmInt8Layer layer;
};

}  // namespace

const kiln_kernel_desc* gemm_int8_kernel() { return describe<GemmInt8>(); }
const kiln_kernel_desc* matmul_int8_kernel() { return describe<MatMulInt8>(); }

}  // namespace kiln::cuda
