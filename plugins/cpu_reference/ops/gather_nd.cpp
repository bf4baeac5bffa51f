// GatherND: slices of data addressed by the last axis of indices, after batch_dims leading dims that data and
// indices share. out.shape = indices.shape[:-1] + data.shape[batch_dims + indices.shape[-1]:].
#include <cstring>

#include "common/element_value.hpp"
#include "common/index_util.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

struct GatherND {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.GatherND";
    s.op_type = "GatherND";
    s.opset_min = 11;
    s.inputs = {io(kEveryDtype), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64))};
    s.outputs = {io(kEveryDtype)};
    return s;
  }
  explicit GatherND(const Node& node) : batch_dims(node.attr_int("batch_dims", 0)) {}

  // Checks ranks and returns the output shape (dims may be -1 where inputs' are).
  static std::vector<int64_t> output_shape(const std::vector<int64_t>& data, const std::vector<int64_t>& indices,
                                           int64_t b) {
    const int64_t r = static_cast<int64_t>(data.size()), q = static_cast<int64_t>(indices.size());
    if (r < 1 || q < 1) fail_invalid("GatherND: data and indices must have rank >= 1");
    if (b < 0 || b >= std::min(r, q)) fail_invalid("GatherND: batch_dims " + std::to_string(b) + " must be below both ranks");
    const int64_t last = indices.back();
    if (last < 1 || last > r - b)
      fail_invalid("GatherND: indices.shape[-1] = " + std::to_string(last) + " must be in [1, " + std::to_string(r - b) + "]");
    std::vector<int64_t> out(indices.begin(), indices.end() - 1);
    out.insert(out.end(), data.begin() + b + last, data.end());
    return out;
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo data = ctx.input(0), indices = ctx.input(1);
    if (!data.has_rank || !indices.has_rank || indices.dims.empty() || indices.dims.back() < 0)
      return ctx.set_output_unknown_rank(0, data.dtype);
    ctx.set_output(0, data.dtype, output_shape(data.dims, indices.dims, node.attr_int("batch_dims", 0)));
  }
  void execute(ExecContext& ctx) {
    const Tensor data = ctx.input(0), indices_t = ctx.input(1), y = ctx.output(0);
    const std::vector<int64_t> dims = data.shape(), idims = indices_t.shape();
    output_shape(dims, idims, batch_dims);
    const size_t b = static_cast<size_t>(batch_dims);
    for (size_t i = 0; i < b; ++i)
      if (dims[i] != idims[i]) fail_invalid("GatherND: batch dim " + std::to_string(i) + " differs between data and indices");
    if (!y.present() || y.numel() == 0) return;
    const size_t elem = dtype_size(data.dtype());
    const int64_t last = idims.back();
    const int64_t batches = span_size(dims, 0, b);
    const int64_t tuples_per_batch = span_size(idims, b, idims.size() - 1);
    const int64_t slice = span_size(dims, b + static_cast<size_t>(last), dims.size()) * static_cast<int64_t>(elem);
    const int64_t data_batch = span_size(dims, b, dims.size()) * static_cast<int64_t>(elem);
    const std::vector<int64_t> strides = dense_strides(dims);
    const std::vector<int64_t> indices = indices_t.int_values();
    const auto* in = static_cast<const uint8_t*>(data.raw());
    auto* out = static_cast<uint8_t*>(y.raw());
    for (int64_t batch = 0; batch < batches; ++batch)
      for (int64_t t = 0; t < tuples_per_batch; ++t) {
        const int64_t* tuple = indices.data() + (batch * tuples_per_batch + t) * last;
        int64_t offset = 0;  // elements into this batch's data
        for (int64_t k = 0; k < last; ++k)
          offset += resolve_index(tuple[k], dims[b + k], "GatherND") * strides[b + k];
        std::memcpy(out + (batch * tuples_per_batch + t) * slice,
                    in + batch * data_batch + offset * static_cast<int64_t>(elem), static_cast<size_t>(slice));
      }
  }
  int64_t batch_dims;
};

}  // namespace

const kiln_kernel_desc* gather_nd_kernel() { return describe<GatherND>(); }

}  // namespace kiln::cpu_ref
