// MatMul and MatMulAddFused (MatMul -> Add -> [Relu], a Linear layer) on cuBLASLt, one call each.
//
// numpy batching becomes cuBLASLt's strided batch: each operand's batch dims must be either the whole broadcast
// batch or all ones (one matrix shared by every entry, batch stride 0); a partial broadcast (A [2, 1, M, K] with
// B [1, 3, K, N]) is declined. When B is shared, A's batch folds into M: one [batch * M, K] x [K, N] product.
// MatMulAddFused's inputs: A, B of the MatMul, the Add's constant bias, one value per column of the product
// ([N] or [1, ..., 1, N]), applied by the epilogue.
#include <algorithm>
#include <optional>

#include "kiln/fused.hpp"
#include "common/gemm_layer.hpp"
#include "common/host_values.hpp"

namespace kiln::cuda {
namespace {

constexpr uint64_t kFloat = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT16);

// A MatMul's operands as matrices with batch dims, 1-D operands promoted (A [K] to [1, K], B [K] to [K, 1]).
struct MatMulDims {
  std::vector<int64_t> a_batch, b_batch, batch;  // aligned to the same rank; -1 where unknown
  int64_t m = -1, k = -1, n = -1, b_k = -1;

  MatMulDims(std::vector<int64_t> a, std::vector<int64_t> b) {
    if (a.empty() || b.empty()) fail_invalid("MatMul: operands must have rank >= 1");
    if (a.size() == 1) a.insert(a.begin(), 1);
    if (b.size() == 1) b.push_back(1);
    m = a[a.size() - 2], k = a.back(), b_k = b[b.size() - 2], n = b.back();
    a_batch.assign(a.begin(), a.end() - 2);
    b_batch.assign(b.begin(), b.end() - 2);
    const size_t rank = std::max(a_batch.size(), b_batch.size());
    a_batch.insert(a_batch.begin(), rank - a_batch.size(), 1);
    b_batch.insert(b_batch.begin(), rank - b_batch.size(), 1);
    for (size_t i = 0; i < rank; ++i)
      batch.push_back(a_batch[i] == 1 ? b_batch[i] : b_batch[i] == 1 ? a_batch[i] : a_batch[i] < 0 ? b_batch[i] : a_batch[i]);
  }

  static bool ones(const std::vector<int64_t>& dims) {
    for (int64_t d : dims)
      if (d != 1) return false;
    return true;
  }
  // Whether `dims` is the whole batch (unknown dims taken to match).
  bool whole(const std::vector<int64_t>& dims) const {
    for (size_t i = 0; i < dims.size(); ++i)
      if (dims[i] >= 0 && batch[i] >= 0 && dims[i] != batch[i]) return false;
    return true;
  }

  // Why cuBLASLt's strided batch cannot run this product, or "".
  std::string unsupported() const {
    if (k >= 0 && b_k >= 0 && k != b_k) return "MatMul's inner dims differ";
    for (size_t i = 0; i < batch.size(); ++i)
      if (a_batch[i] >= 0 && b_batch[i] >= 0 && a_batch[i] != 1 && b_batch[i] != 1 && a_batch[i] != b_batch[i])
        return "MatMul's batch dims do not broadcast";
    if (!(ones(a_batch) || whole(a_batch)) || !(ones(b_batch) || whole(b_batch)))
      return "an operand's batch dims broadcast partly (neither the whole batch nor all ones)";
    return empty_k_reason(k);
  }

  // The product for known dims.
  GemmShape shape(kiln_dtype dtype) const {
    if (const std::string why = unsupported(); !why.empty()) fail_unsupported(why);
    GemmShape s;
    s.dtype = dtype;
    s.m = m, s.n = n, s.k = k;
    s.batch = product(batch);
    if (ones(b_batch)) {  // one B for every entry: A's rows are one [batch * M, K] matrix
      s.m *= s.batch;
      s.batch = 1;
      return s;
    }
    s.stride_a = ones(a_batch) ? 0 : m * k;
    s.stride_b = k * n;
    s.stride_d = m * n;
    return s;
  }
};

// Why the Add of a MatMulAddFused is not a bias of one value per column, or "".
std::string bias_reason(const FusedStep& add, const Node& matmul) {
  if (const std::string legacy = legacy_broadcast_reason(add.node); !legacy.empty()) return legacy;
  const ValueInfo bias = add.node.input(add.other_input()), b = matmul.input(1);
  if (!bias.data || !bias.shape_known()) return "the Add operand '" + bias.name + "' is not a constant bias";
  if (!b.has_rank || b.rank() < 2) return "B's rank is unknown or 1 (the product has no column dim)";
  bool per_column = bias.rank() >= 1 && (bias.dims.back() == b.dims.back() || b.dims.back() < 0);
  for (int i = 0; i + 1 < bias.rank(); ++i) per_column = per_column && bias.dims[i] == 1;
  const ValueInfo a = matmul.input(0);
  if (a.has_rank && bias.rank() > std::max(a.rank(), b.rank())) per_column = false;  // it would add dims to Y
  if (!per_column) return "the Add operand is not one value per column of the product";
  return "";
}

class MatMulBody {
 public:
  static std::string check(const Node& node) {
    const ValueInfo a = node.input(0), b = node.input(1);
    if (!a.has_rank || !b.has_rank) return "an operand's rank is unknown";
    return MatMulDims(a.dims, b.dims).unsupported();
  }

  // `bias_input`: the node's position of a per-column bias, -1 for none.
  MatMulBody(const Node& node, int bias_input, bool relu)
      : label_(node.op_type() + " '" + node.name() + "'"),
        dtype_(node.output(0).dtype),
        relu_(relu),
        a_(node, 0, dtype_),
        b_(node, 1, dtype_),
        layer_(label_) {
    for (int i = 0; i < 2; ++i)
      if (!node.input(i).data && node.input(i).dtype != dtype_)
        fail_invalid(label_ + ": input " + std::to_string(i) + " is " + dtype_name(node.input(i).dtype) + ", Y is " + dtype_name(dtype_));
    if (bias_input >= 0) bias_ = upload_as(constant_doubles(node.input(bias_input), label_), dtype_);
    const ValueInfo a = node.input(0), b = node.input(1);
    if (!a.shape_known() || !b.shape_known()) {
      node.note("shapes unknown when created: cuBLASLt's heuristic picks per call");
      return;
    }
    layer_.plan(shape_of(a.dims, b.dims), bias_.get(), GemmPointers{a_.uploaded(), b_.uploaded(), nullptr, nullptr}, node);
  }

  size_t workspace_size(const ExecContext& ctx) const { return layer_.workspace_size(shape_of(a_.dims(ctx), b_.dims(ctx))); }

  void execute(const ExecContext& ctx) const {
    const GemmShape s = shape_of(a_.dims(ctx), b_.dims(ctx));
    const Tensor y = ctx.output(0);
    if (y.numel() != s.batch * s.m * s.n || !dense_row_major(y)) fail_invalid(label_ + ": Y does not hold the product densely");
    layer_.run(s, bias_.get(), GemmPointers{a_.device(ctx), b_.device(ctx), nullptr, y.raw()}, 1.0f, 0.0f, ctx);
  }

 private:
  GemmShape shape_of(const std::vector<int64_t>& a, const std::vector<int64_t>& b) const {
    GemmShape s = MatMulDims(a, b).shape(dtype_);
    if (bias_.get() && static_cast<int64_t>(bias_.bytes() / dtype_size(dtype_)) != s.n)
      fail_invalid(label_ + ": the bias has " + std::to_string(bias_.bytes() / dtype_size(dtype_)) + " values for " +
                   std::to_string(s.n) + " columns");
    s.bias = bias_.get() != nullptr;
    s.relu = relu_;
    return s;
  }

  std::string label_;
  kiln_dtype dtype_;
  bool relu_;
  GemmOperand a_, b_;
  DeviceBuffer bias_;
  GemmLayer layer_;
};

KernelSpec matmul_spec(const std::string& op_type) {
  KernelSpec s;
  s.name = "kiln.cuda." + op_type;
  s.op_type = op_type;
  s.device = KILN_DEVICE_CUDA;
  // A and B may each be an activation or a constant (uploaded in create, in the compute dtype).
  s.inputs = {io(kFloat), io(kFloat)};
  s.outputs = {io(kFloat)};
  return s;
}

struct MatMul {
  static KernelSpec spec() { return matmul_spec("MatMul"); }
  static std::string check(const Node& node) { return MatMulBody::check(node); }
  explicit MatMul(const Node& node) : body(node, -1, false) {}
  size_t workspace_size(const ExecContext& ctx) const { return body.workspace_size(ctx); }
  void execute(ExecContext& ctx) { body.execute(ctx); }
  MatMulBody body;
};

struct MatMulAddFused {
  static KernelSpec spec() {
    KernelSpec s = matmul_spec("MatMulAddFused");
    s.inputs.push_back(io(kFloat));  // the bias, widened and converted in create whatever its float type
    s.pattern = {{"", "MatMul", -1, 0}, {"", "Add", -1, 0}, {"", "Relu", 0, KILN_PATTERN_OPTIONAL}};
    return s;
  }
  static std::string check(const Node& node) {
    const std::vector<FusedStep> steps = fused_steps(node);
    std::string why = MatMulBody::check(node);
    if (why.empty()) why = bias_reason(steps.at(1), steps[0].node);
    return why;
  }
  explicit MatMulAddFused(const Node& node) : MatMulAddFused(node, fused_steps(node)) {}
  MatMulAddFused(const Node& node, const std::vector<FusedStep>& steps)
      : body(node, steps.at(1).fused_input(steps[1].other_input()), step_named(steps, "Relu").has_value()) {}
  size_t workspace_size(const ExecContext& ctx) const { return body.workspace_size(ctx); }
  void execute(ExecContext& ctx) { body.execute(ctx); }
  MatMulBody body;
};

}  // namespace

const kiln_kernel_desc* mat_mul_kernel() { return describe<MatMul>(); }
const kiln_kernel_desc* mat_mul_add_fused_kernel() { return describe<MatMulAddFused>(); }

}  // namespace kiln::cuda
