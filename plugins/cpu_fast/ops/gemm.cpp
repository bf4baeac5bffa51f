// Gemm, float32: Y = alpha * A' * B' + beta * C (C broadcast to [M, N]) on the blocked SGEMM. A constant B (a
// fully connected layer's weights) is packed once, transposed or not, when the layer is built, and serialized.
#include "common/matmul_core.hpp"
#include "common/packed_io.hpp"

namespace kiln::cpu_fast {
namespace {

constexpr uint64_t kFloat32 = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32);

struct Gemm {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_fast.Gemm";
    s.op_type = "Gemm";
    s.opset_min = 6;
    s.inputs = {io(kFloat32), io(kFloat32), io(kFloat32, KILN_IO_OPTIONAL)};
    s.outputs = {io(kFloat32)};
    return s;
  }
  static void infer(const Node& node, InferContext& ctx) { cpu_ref::GemmAttrs(node).infer(ctx); }

  explicit Gemm(const Node& node) : attrs(node) {
    const ValueInfo b = node.input(1);
    if (b.data && b.shape_known() && b.rank() == 2)
      packed_b.emplace_back(Side::kRight, Matrix{b.as<float>(), b.dims[1], attrs.trans_b}, depth(b.dims), width(b.dims));
  }
  Gemm(const Node& node, const uint8_t* bytes, size_t length) : attrs(node) {
    StateReader in(bytes, length, "kiln.cpu_fast Gemm '" + node.name() + "'");
    const std::vector<int64_t> b = node.input(1).dims;
    if (in.int_value() != 0) {
      if (b.size() != 2) fail_invalid("kiln.cpu_fast Gemm: the plan has B packed but the node's B is not 2-D");
      packed_b.push_back(in.packed(Side::kRight, depth(b), width(b)));
    }
    in.finish();
  }
  std::vector<uint8_t> serialize() const { return packed_list_state(packed_b); }

  // B's rows (K) and columns (N) as the product sees them.
  int64_t depth(const std::vector<int64_t>& b) const { return b[attrs.trans_b ? 1 : 0]; }
  int64_t width(const std::vector<int64_t>& b) const { return b[attrs.trans_b ? 0 : 1]; }

  Operand right(const Tensor& b) const {
    return packed_b.empty() ? Operand{nullptr, Matrix{b.data<float>(), b.dim(1), attrs.trans_b}} : Operand{&packed_b[0], {}};
  }
  Operand left(const Tensor& a) const { return Operand{nullptr, Matrix{a.data<float>(), a.dim(1), attrs.trans_a}}; }

  size_t workspace_size(const ExecContext& ctx) const {
    const Tensor a = ctx.input(0), b = ctx.input(1);
    if (a.rank() != 2 || b.rank() != 2) return 0;
    const int64_t m = a.dim(attrs.trans_a ? 1 : 0), k = a.dim(attrs.trans_a ? 0 : 1);
    return static_cast<size_t>(sgemm_scratch_floats(m, width(b.shape()), k, left(a), right(b))) * sizeof(float);
  }

  void execute(ExecContext& ctx) {
    const Tensor a = ctx.input(0), b = ctx.input(1), c = ctx.input(2), y = ctx.output(0);
    if (a.rank() != 2 || b.rank() != 2) fail_invalid("Gemm: A and B must be 2-D");
    const int64_t m = a.dim(attrs.trans_a ? 1 : 0), k = a.dim(attrs.trans_a ? 0 : 1), n = width(b.shape());
    if (depth(b.shape()) != k) fail_invalid("Gemm: inner dims differ (" + std::to_string(k) + " vs " + std::to_string(depth(b.shape())) + ")");
    if (y.shape() != std::vector<int64_t>{m, n}) fail_invalid("Gemm: the output shape does not match the inputs");
    if (packed_b.size() == 1 && (packed_b[0].rows != k || packed_b[0].cols != n)) fail_invalid("Gemm: B's shape changed since it was packed");
    if (ctx.workspace_bytes() < workspace_size(ctx)) fail_invalid("kiln.cpu_fast Gemm: the workspace is smaller than asked for");
    float* out = y.data<float>();
    sgemm(m, n, k, left(a), right(b), out, n, static_cast<float*>(ctx.workspace()));
    const float alpha = attrs.alpha, beta = attrs.beta;
    if (!ctx.has_input(2)) {
      if (alpha != 1.f)
        for (int64_t i = 0; i < m * n; ++i) out[i] *= alpha;
      return;
    }
    if (cpu_ref::broadcast_shapes({c.shape(), {m, n}}) != std::vector<int64_t>{m, n})
      fail_invalid("Gemm: C cannot broadcast to [" + std::to_string(m) + ", " + std::to_string(n) + "]");
    const float* bias = c.data<float>();
    cpu_ref::for_each_broadcast<1>({m, n}, {c.shape()}, [&](int64_t i, const std::array<int64_t, 1>& at) {
      out[i] = alpha * out[i] + beta * bias[at[0]];
    });
  }

  cpu_ref::GemmAttrs attrs;
  std::vector<PackedMatrix> packed_b;  // B packed when the layer was built (a constant B), else empty
};

}  // namespace

const kiln_kernel_desc* gemm_kernel() { return describe<Gemm>(); }

}  // namespace kiln::cpu_fast
