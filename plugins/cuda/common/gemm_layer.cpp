#include "common/gemm_layer.hpp"

#include "common/host_values.hpp"

namespace kiln::cuda {

bool dense_row_major(const Tensor& t) {
  if (!t.strides()) return true;
  int64_t expected = 1;
  for (int i = t.rank(); i-- > 0;) {
    if (t.dim(i) != 1 && t.strides()[i] != expected) return false;
    expected *= t.dim(i);
  }
  return true;
}

GemmOperand::GemmOperand(const Node& node, int input, kiln_dtype dtype) : input_(input) {
  const ValueInfo v = node.input(input);
  if (!v.data) return;
  dims_ = v.dims;
  dims_known_ = true;
  constant_ = upload_as(constant_doubles(v, node.op_type() + " '" + node.name() + "'"), dtype);
}

std::vector<int64_t> GemmOperand::dims(const ExecContext& ctx) const { return dims_known_ ? dims_ : ctx.input(input_).shape(); }

const void* GemmOperand::device(const ExecContext& ctx) const {
  if (dims_known_) return constant_.get();
  const Tensor t = ctx.input(input_);
  if (!dense_row_major(t)) fail_unsupported("input " + std::to_string(input_) + " of a product is a strided view; cuBLASLt reads it dense");
  return t.raw();
}

void GemmLayer::plan(const GemmShape& shape, const void* bias, const GemmPointers& constants, const Node& node) {
  if (shape.m == 0 || shape.n == 0) return node.note("an empty product: nothing to run");
  auto lt = std::make_unique<LtGemm>(shape, bias);
  std::string note;
  lt->tune(constants, label_, &note);
  node.note(note);
  planned_shape_ = shape;
  planned_ = std::move(lt);
}

size_t GemmLayer::workspace_size(const GemmShape& shape) const {
  if (planned_ && shape == planned_shape_) return planned_->workspace();
  return LtGemm::kMaxWorkspace;  // whatever cuBLASLt's heuristic picks per call stays within this
}

void GemmLayer::run(const GemmShape& shape, const void* bias, const GemmPointers& p, float alpha, float beta,
                    const ExecContext& ctx) const {
  if (shape.m == 0 || shape.n == 0 || shape.batch == 0) return;
  if (shape.k == 0) fail_unsupported(label_ + ": a product over K = 0");
  const auto stream = static_cast<cudaStream_t>(ctx.stream());
  if (planned_ && shape == planned_shape_) return planned_->run(p, alpha, beta, ctx.workspace(), ctx.workspace_bytes(), stream);
  LtGemm lt(shape, bias);  // host-side descriptors and a heuristic query: nothing on the device
  lt.choose_untimed();
  lt.run(p, alpha, beta, ctx.workspace(), ctx.workspace_bytes(), stream);
}

}  // namespace kiln::cuda
