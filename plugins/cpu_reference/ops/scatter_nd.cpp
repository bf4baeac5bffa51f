// ScatterND: a copy of data where the slices addressed by the last axis of indices take (or are reduced with)
// the matching slices of updates. updates.shape = indices.shape[:-1] + data.shape[indices.shape[-1]:].
// Updates apply in index order, so duplicate indices with reduction none keep the last one.
#include <cstring>

#include "common/index_util.hpp"
#include "common/scatter_reduce.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

struct ScatterND {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.ScatterND";
    s.op_type = "ScatterND";
    s.opset_min = 11;
    s.inputs = {io(kEveryDtype), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64)), io(kEveryDtype)};
    s.outputs = {io(kEveryDtype)};
    return s;
  }
  explicit ScatterND(const Node& node) : reduction(parse_scatter_reduction(node)) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo data = ctx.input(0);
    if (!data.has_rank) return ctx.set_output_unknown_rank(0, data.dtype);
    ctx.set_output(0, data.dtype, data.dims);
  }
  static void check_shapes(const std::vector<int64_t>& dims, const std::vector<int64_t>& idims,
                           const std::vector<int64_t>& udims) {
    if (idims.empty()) fail_invalid("ScatterND: indices must have rank >= 1");
    const int64_t k = idims.back();
    if (k < 1 || k > static_cast<int64_t>(dims.size()))
      fail_invalid("ScatterND: indices.shape[-1] = " + std::to_string(k) + " exceeds the data rank");
    std::vector<int64_t> expected(idims.begin(), idims.end() - 1);
    expected.insert(expected.end(), dims.begin() + k, dims.end());
    if (expected != udims) fail_invalid("ScatterND: updates shape does not match indices.shape[:-1] + data.shape[k:]");
  }
  void execute(ExecContext& ctx) {
    const Tensor data = ctx.input(0), indices_t = ctx.input(1), updates = ctx.input(2), y = ctx.output(0);
    const std::vector<int64_t> dims = data.shape(), idims = indices_t.shape();
    check_shapes(dims, idims, updates.shape());
    if (!y.present() || y.numel() == 0) return;
    std::memcpy(y.raw(), data.raw(), data.bytes());
    const size_t elem = dtype_size(data.dtype());
    const ElementCombiner combine = scatter_combiner(data.dtype(), reduction, "ScatterND");
    const int64_t k = idims.back();
    const int64_t tuples = span_size(idims, 0, idims.size() - 1);
    const int64_t slice = span_size(dims, static_cast<size_t>(k), dims.size());
    const std::vector<int64_t> strides = dense_strides(dims), indices = indices_t.int_values();
    auto* out = static_cast<uint8_t*>(y.raw());
    const auto* upd = static_cast<const uint8_t*>(updates.raw());
    for (int64_t t = 0; t < tuples; ++t) {
      int64_t offset = 0;
      for (int64_t j = 0; j < k; ++j) offset += resolve_index(indices[t * k + j], dims[j], "ScatterND") * strides[j];
      for (int64_t e = 0; e < slice; ++e)
        scatter_one(out + (offset + e) * static_cast<int64_t>(elem), upd + (t * slice + e) * static_cast<int64_t>(elem),
                    elem, combine);
    }
  }
  ScatterReduction reduction;
};

}  // namespace

const kiln_kernel_desc* scatter_nd_kernel() { return describe<ScatterND>(); }

}  // namespace kiln::cpu_ref
