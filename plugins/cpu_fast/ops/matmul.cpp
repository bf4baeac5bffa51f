// MatMul, float32, numpy semantics (batched, batch dims broadcast, 1-D operands promoted) on the blocked SGEMM.
// A constant B (a Linear layer's weights) is packed once per batch matrix when the layer is built, and
// serialized. Where B is one matrix for every batch, A's batch is folded into its rows: one large product.
#include "common/matmul_core.hpp"
#include "common/packed_io.hpp"

namespace kiln::cpu_fast {
namespace {

constexpr uint64_t kFloat32 = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32);

// An operand's dims as a batch of matrices: 1-D A becomes [1, k], 1-D B [k, 1].
std::vector<int64_t> as_matrices(std::vector<int64_t> dims, bool left) {
  if (dims.size() == 1) dims.insert(left ? dims.begin() : dims.end(), 1);
  return dims;
}
std::vector<int64_t> batch_of(const std::vector<int64_t>& dims) { return {dims.begin(), dims.end() - 2}; }

struct MatMul {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_fast.MatMul";
    s.op_type = "MatMul";
    s.inputs = {io(kFloat32), io(kFloat32)};
    s.outputs = {io(kFloat32)};
    return s;
  }
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo a = ctx.input(0), b = ctx.input(1);
    if (!a.has_rank || !b.has_rank) return ctx.set_output_unknown_rank(0, a.dtype);
    ctx.set_output(0, a.dtype, cpu_ref::matmul_shape(a.dims, b.dims));
  }

  explicit MatMul(const Node& node) {
    const ValueInfo b = node.input(1);
    if (!b.data || !b.shape_known() || b.rank() == 0) return;
    const std::vector<int64_t> bd = as_matrices(b.dims, false);
    const int64_t k = bd[bd.size() - 2], n = bd.back();
    for (int64_t i = 0; i < product(batch_of(bd)); ++i)
      packed_b.emplace_back(Side::kRight, Matrix{b.as<float>() + i * k * n, n, false}, k, n);
  }
  MatMul(const Node& node, const uint8_t* bytes, size_t length) {
    StateReader in(bytes, length, "kiln.cpu_fast MatMul '" + node.name() + "'");
    const int64_t count = in.int_value();
    if (count > 0) {
      const std::vector<int64_t> bd = as_matrices(node.input(1).dims, false);
      if (bd.size() < 2 || product(batch_of(bd)) != count) fail_invalid("kiln.cpu_fast MatMul: the plan's packed B does not match the node");
      for (int64_t i = 0; i < count; ++i) packed_b.push_back(in.packed(Side::kRight, bd[bd.size() - 2], bd.back()));
    }
    in.finish();
  }
  std::vector<uint8_t> serialize() const { return packed_list_state(packed_b); }

  // The product's geometry for these operands.
  struct Geometry {
    std::vector<int64_t> a_batch, b_batch, batch;
    int64_t m = 0, k = 0, n = 0;
    bool fold = false;  // one B for the whole batch, A's batch laid out as rows: one product of batch * m rows
  };
  static Geometry geometry(const Tensor& a, const Tensor& b) {
    const std::vector<int64_t> ad = as_matrices(a.shape(), true), bd = as_matrices(b.shape(), false);
    Geometry g{batch_of(ad), batch_of(bd), {}, ad[ad.size() - 2], ad.back(), bd.back()};
    if (bd[bd.size() - 2] != g.k) fail_invalid("MatMul: inner dims differ (" + std::to_string(g.k) + " vs " + std::to_string(bd[bd.size() - 2]) + ")");
    g.batch = cpu_ref::broadcast_shapes({g.a_batch, g.b_batch});
    g.fold = product(g.b_batch) == 1 && product(g.a_batch) == product(g.batch);
    return g;
  }
  Operand right(const Tensor& b, const Geometry& g, int64_t index) const {
    if (!packed_b.empty()) return Operand{&packed_b[static_cast<size_t>(index)], {}};
    return Operand{nullptr, Matrix{b.data<float>() + index * g.k * g.n, g.n, false}};
  }

  size_t workspace_size(const ExecContext& ctx) const {
    const Tensor a = ctx.input(0), b = ctx.input(1);
    if (a.rank() == 0 || b.rank() == 0) return 0;
    const Geometry g = geometry(a, b);
    const int64_t rows = g.fold ? product(g.batch) * g.m : g.m;
    return static_cast<size_t>(sgemm_scratch_floats(rows, g.n, g.k, Operand{}, right(b, g, 0))) * sizeof(float);
  }

  void execute(ExecContext& ctx) {
    const Tensor a = ctx.input(0), b = ctx.input(1), y = ctx.output(0);
    if (a.rank() == 0 || b.rank() == 0) fail_invalid("MatMul: operands must have rank >= 1");
    if (cpu_ref::matmul_shape(a.shape(), b.shape()) != y.shape()) fail_invalid("MatMul: the output shape does not match the inputs");
    const Geometry g = geometry(a, b);
    if (!packed_b.empty() && (static_cast<int64_t>(packed_b.size()) != product(g.b_batch) || packed_b[0].rows != g.k || packed_b[0].cols != g.n))
      fail_invalid("MatMul: B's shape changed since it was packed");
    if (ctx.workspace_bytes() < workspace_size(ctx)) fail_invalid("kiln.cpu_fast MatMul: the workspace is smaller than asked for");
    float* scratch = static_cast<float*>(ctx.workspace());
    const float* av = a.data<float>();
    float* out = y.data<float>();
    if (g.fold) {
      sgemm(product(g.batch) * g.m, g.n, g.k, Operand{nullptr, Matrix{av, g.k, false}}, right(b, g, 0), out, g.n, scratch);
      return;
    }
    cpu_ref::for_each_broadcast<2>(g.batch, {g.a_batch, g.b_batch}, [&](int64_t i, const std::array<int64_t, 2>& at) {
      sgemm(g.m, g.n, g.k, Operand{nullptr, Matrix{av + at[0] * g.m * g.k, g.k, false}}, right(b, g, at[1]),
            out + i * g.m * g.n, g.n, scratch);
    });
  }

  std::vector<PackedMatrix> packed_b;  // each of B's batch matrices, packed when the layer was built (a constant B)
};

}  // namespace

const kiln_kernel_desc* mat_mul_kernel() { return describe<MatMul>(); }

}  // namespace kiln::cpu_fast
