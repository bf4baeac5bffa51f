// Gemm and GemmFused (Gemm -> [Relu]) on cuBLASLt: Y = relu?(alpha * A' * B' + beta * C) in one cublasLtMatmul.
//
// C takes one of two forms: a constant that is the same for every row ([N], [1, N] or one value) becomes the
// epilogue's bias (times beta, folded in create); a [M, N] matrix, constant or not, is cuBLASLt's own C, scaled by
// beta. Other broadcasts of C are declined. GemmFused's inputs are the Gemm's: A, B[, C] (Relu brings none).
#include <optional>

#include "kiln/fused.hpp"
#include "common/gemm_layer.hpp"
#include "common/host_values.hpp"

namespace kiln::cuda {
namespace {

constexpr uint64_t kFloat = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT16);

// The dims Gemm multiplies: M, K (from A) and N (from B), -1 where unknown.
struct GemmDims {
  int64_t m = -1, k = -1, n = -1;
  GemmDims(const std::vector<int64_t>& a, const std::vector<int64_t>& b, bool trans_a, bool trans_b) {
    if (a.size() == 2) m = a[trans_a ? 1 : 0], k = a[trans_a ? 0 : 1];
    if (b.size() == 2) n = b[trans_b ? 0 : 1];
  }
};

// Whether C is the same for every row of Y: one value, or one per column ([N] or [1, N]).
bool row_broadcast(const ValueInfo& c) {
  return c.has_rank && (c.rank() <= 1 || (c.rank() == 2 && c.dims[0] == 1));
}

// Why the Gemm's C cannot be taken as a bias or as cuBLASLt's C, or "".
std::string c_reason(const ValueInfo& c, const GemmDims& g) {
  if (c.data && row_broadcast(c)) {
    const int64_t count = c.numel();
    if (g.n >= 0 && (count == 1 || count == g.n)) return "";
    return "C's " + std::to_string(count) + " values are not one per column of Y (N = " + std::to_string(g.n) + ")";
  }
  if (c.has_rank && c.rank() == 2 && c.dims[0] == g.m && c.dims[1] == g.n && (c.data ? c.shape_known() : true)) return "";
  return "C broadcasts to Y other than by rows (only a bias vector or a full [M, N] C runs here)";
}

// The body of both kernels.
class GemmBody {
 public:
  static std::string check(const Node& node, const Node& gemm) {
    const ValueInfo a = node.input(0), b = node.input(1);
    if ((a.has_rank && a.rank() != 2) || (b.has_rank && b.rank() != 2)) return "Gemm's A and B must be 2-D";
    const GemmDims g(a.dims, b.dims, gemm.attr_int("transA", 0) != 0, gemm.attr_int("transB", 0) != 0);
    if (const std::string why = empty_k_reason(g.k); !why.empty()) return why;
    if (node.has_input(2) && gemm.attr_float("beta", 1.0f) != 0.0f) return c_reason(node.input(2), g);
    return "";
  }

  GemmBody(const Node& node, const Node& gemm, bool relu)
      : label_(node.op_type() + " '" + node.name() + "'"),
        dtype_(node.output(0).dtype),
        alpha_(gemm.attr_float("alpha", 1.0f)),
        beta_(gemm.attr_float("beta", 1.0f)),
        trans_a_(gemm.attr_int("transA", 0) != 0),
        trans_b_(gemm.attr_int("transB", 0) != 0),
        relu_(relu),
        a_(node, 0, dtype_),
        b_(node, 1, dtype_),
        layer_(label_) {
    for (int i = 0; i < 3 && i < node.num_inputs(); ++i)
      if (node.has_input(i) && !node.input(i).data && node.input(i).dtype != dtype_)
        fail_invalid(label_ + ": input " + std::to_string(i) + " is " + dtype_name(node.input(i).dtype) + ", Y is " + dtype_name(dtype_));
    if (node.has_input(2) && beta_ != 0.0f) take_c(node);
    plan(node);
  }

  size_t workspace_size(const ExecContext& ctx) const { return layer_.workspace_size(shape_of(a_.dims(ctx), b_.dims(ctx))); }

  void execute(const ExecContext& ctx) const {
    const GemmShape s = shape_of(a_.dims(ctx), b_.dims(ctx));
    const Tensor y = ctx.output(0);
    if (y.rank() != 2 || y.dim(0) != s.m || y.dim(1) != s.n || !dense_row_major(y))
      fail_invalid(label_ + ": Y is not a dense [M, N] matrix");
    if (c_ && c_->dims(ctx) != std::vector<int64_t>{s.m, s.n}) fail_invalid(label_ + ": C is not [M, N]");
    const GemmPointers p{a_.device(ctx), b_.device(ctx), c_ ? c_->device(ctx) : nullptr, y.raw()};
    layer_.run(s, bias_.get(), p, alpha_, beta_, ctx);
  }

 private:
  void take_c(const Node& node) {
    const ValueInfo c = node.input(2);
    if (!(c.data && row_broadcast(c))) {
      c_.emplace(node, 2, dtype_);
      return;
    }
    // A bias for the epilogue: beta * C, one value per column.
    const std::vector<double> values = constant_doubles(c, label_);
    const GemmDims g(node.input(0).dims, node.input(1).dims, trans_a_, trans_b_);
    if (g.n < 0) fail_invalid(label_ + ": N must be known to take C as a bias");
    std::vector<double> bias(static_cast<size_t>(g.n));
    for (size_t j = 0; j < bias.size(); ++j) bias[j] = beta_ * (values.size() == 1 ? values[0] : values.at(j));
    bias_ = upload_as(bias, dtype_);
  }

  void plan(const Node& node) {
    const ValueInfo a = node.input(0), b = node.input(1);
    if (!a.shape_known() || !b.shape_known()) return node.note("shapes unknown when created: cuBLASLt's heuristic picks per call");
    const GemmPointers constants{a_.uploaded(), b_.uploaded(), c_ ? c_->uploaded() : nullptr, nullptr};
    layer_.plan(shape_of(a.dims, b.dims), bias_.get(), constants, node);
  }

  GemmShape shape_of(const std::vector<int64_t>& a, const std::vector<int64_t>& b) const {
    if (a.size() != 2 || b.size() != 2) fail_invalid(label_ + ": A and B must be 2-D");
    const GemmDims g(a, b, trans_a_, trans_b_);
    if (b[trans_b_ ? 1 : 0] != g.k) fail_invalid(label_ + ": the inner dims of A and B differ");
    if (bias_.get() && static_cast<int64_t>(bias_.bytes() / dtype_size(dtype_)) != g.n)
      fail_invalid(label_ + ": N changed from the bias's " + std::to_string(bias_.bytes() / dtype_size(dtype_)));
    GemmShape s;
    s.dtype = dtype_;
    s.m = g.m, s.n = g.n, s.k = g.k;
    s.trans_a = trans_a_, s.trans_b = trans_b_;
    s.has_c = c_.has_value();
    s.bias = bias_.get() != nullptr;
    s.relu = relu_;
    return s;
  }

  std::string label_;
  kiln_dtype dtype_;
  float alpha_, beta_;
  bool trans_a_, trans_b_, relu_;
  GemmOperand a_, b_;
  std::optional<GemmOperand> c_;  // C as cuBLASLt's C matrix
  DeviceBuffer bias_;             // beta * C as the epilogue's bias
  GemmLayer layer_;
};

KernelSpec gemm_spec(const std::string& op_type) {
  KernelSpec s;
  s.name = "kiln.cuda." + op_type;
  s.op_type = op_type;
  s.device = KILN_DEVICE_CUDA;
  // A, B and C may each be an activation or a constant (uploaded in create, in the compute dtype).
  s.inputs = {io(kFloat), io(kFloat), io(kFloat, KILN_IO_OPTIONAL)};
  s.outputs = {io(kFloat)};
  return s;
}

struct Gemm {
  static KernelSpec spec() { return gemm_spec("Gemm"); }
  static std::string check(const Node& node) { return GemmBody::check(node, node); }
  explicit Gemm(const Node& node) : body(node, node, false) {}
  size_t workspace_size(const ExecContext& ctx) const { return body.workspace_size(ctx); }
  void execute(ExecContext& ctx) { body.execute(ctx); }
  GemmBody body;
};

struct GemmFused {
  static KernelSpec spec() {
    KernelSpec s = gemm_spec("GemmFused");
    s.opset_min = 6;
    s.pattern = {{"", "Gemm", -1, 0}, {"", "Relu", 0, KILN_PATTERN_OPTIONAL}};
    return s;
  }
  static std::string check(const Node& node) { return GemmBody::check(node, fused_steps(node).at(0).node); }
  explicit GemmFused(const Node& node) : GemmFused(node, fused_steps(node)) {}
  GemmFused(const Node& node, const std::vector<FusedStep>& steps)
      : body(node, steps.at(0).node, step_named(steps, "Relu").has_value()) {}
  size_t workspace_size(const ExecContext& ctx) const { return body.workspace_size(ctx); }
  void execute(ExecContext& ctx) { body.execute(ctx); }
  GemmBody body;
};

}  // namespace

const kiln_kernel_desc* gemm_kernel() { return describe<Gemm>(); }
const kiln_kernel_desc* gemm_fused_kernel() { return describe<GemmFused>(); }

}  // namespace kiln::cuda
