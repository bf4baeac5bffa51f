// ScatterElements: a copy of data where, for every position p of indices, out[p with p[axis] = indices[p]]
// takes (or is reduced with) updates[p]. Scatter (opsets 9-10) is the same op under its old name, without
// reduction. Updates apply in row-major order of indices.
#include <cstring>

#include "common/index_util.hpp"
#include "common/scatter_reduce.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr uint64_t kIndexTypes = KILN_DTYPE_BIT(KILN_DTYPE_INT32) | KILN_DTYPE_BIT(KILN_DTYPE_INT64);

KernelSpec scatter_spec(const char* op, int since, int until) {
  KernelSpec s;
  s.name = std::string("kiln.cpu_ref.") + op;
  s.op_type = op;
  s.opset_min = since;
  s.opset_max = until;
  s.inputs = {io(kEveryDtype), io(kIndexTypes), io(kEveryDtype)};
  s.outputs = {io(kEveryDtype)};
  return s;
}

void infer_like_data(InferContext& ctx) {
  const ValueInfo data = ctx.input(0);
  if (!data.has_rank) return ctx.set_output_unknown_rank(0, data.dtype);
  ctx.set_output(0, data.dtype, data.dims);
}

void scatter_elements(ExecContext& ctx, int64_t axis_attr, ScatterReduction reduction, const char* op) {
  const Tensor data = ctx.input(0), indices_t = ctx.input(1), updates = ctx.input(2), y = ctx.output(0);
  const std::vector<int64_t> dims = data.shape(), idims = indices_t.shape();
  if (idims != updates.shape()) fail_invalid(std::string(op) + ": indices and updates differ in shape");
  if (idims.size() != dims.size()) fail_invalid(std::string(op) + ": indices and data differ in rank");
  const int axis = normalize_axis(axis_attr, data.rank(), op);
  for (size_t d = 0; d < dims.size(); ++d)
    if (static_cast<int>(d) != axis && idims[d] > dims[d]) fail_invalid(std::string(op) + ": indices dim " + std::to_string(d) + " exceeds data's");
  if (!y.present() || y.numel() == 0) return;
  std::memcpy(y.raw(), data.raw(), data.bytes());
  const size_t elem = dtype_size(data.dtype());
  const ElementCombiner combine = scatter_combiner(data.dtype(), reduction, op);
  const std::vector<int64_t> strides = dense_strides(dims), indices = indices_t.int_values();
  auto* out = static_cast<uint8_t*>(y.raw());
  const auto* upd = static_cast<const uint8_t*>(updates.raw());
  int64_t k = 0;  // row-major position in indices and updates
  for_each_position(idims, [&](const std::vector<int64_t>& pos) {
    int64_t offset = 0;
    for (size_t d = 0; d < pos.size(); ++d)
      offset += (static_cast<int>(d) == axis ? resolve_index(indices[k], dims[d], op) : pos[d]) * strides[d];
    scatter_one(out + offset * static_cast<int64_t>(elem), upd + k * static_cast<int64_t>(elem), elem, combine);
    ++k;
  });
}

struct ScatterElements {
  static KernelSpec spec() { return scatter_spec("ScatterElements", 11, 1000); }
  explicit ScatterElements(const Node& node)
      : axis(node.attr_int("axis", 0)), reduction(parse_scatter_reduction(node)) {}
  static void infer(const Node&, InferContext& ctx) { infer_like_data(ctx); }
  void execute(ExecContext& ctx) { scatter_elements(ctx, axis, reduction, "ScatterElements"); }
  int64_t axis;
  ScatterReduction reduction;
};

struct Scatter {
  static KernelSpec spec() { return scatter_spec("Scatter", 9, 10); }
  explicit Scatter(const Node& node) : axis(node.attr_int("axis", 0)) {}
  static void infer(const Node&, InferContext& ctx) { infer_like_data(ctx); }
  void execute(ExecContext& ctx) { scatter_elements(ctx, axis, ScatterReduction::None, "Scatter"); }
  int64_t axis;
};

}  // namespace

const kiln_kernel_desc* scatter_elements_kernel() { return describe<ScatterElements>(); }
const kiln_kernel_desc* scatter_kernel() { return describe<Scatter>(); }

}  // namespace kiln::cpu_ref
