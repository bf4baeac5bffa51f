// Concat: join inputs along one axis.
#include <cstring>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

struct Concat {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Concat";
    s.op_type = "Concat";
    s.opset_min = 4;
    // CONCAT lets the builder have producers write into their slices of the output; copying elements is exact
    // on integers that share one grid (QUANT_PASSTHROUGH).
    s.flags = KILN_KERNEL_CONCAT | KILN_KERNEL_QUANT_PASSTHROUGH;
    s.inputs = {io(AllTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16), KILN_IO_VARIADIC)};
    s.outputs = s.inputs;
    s.outputs[0].flags = 0;
    return s;
  }
  explicit Concat(const Node& node) : axis(node.attr_int("axis")) {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo first = ctx.input(0);
    if (!first.has_rank) return ctx.set_output_unknown_rank(0, first.dtype);
    const int a = normalize_axis(node.attr_int("axis"), first.rank(), "Concat");
    std::vector<int64_t> out = first.dims;
    for (int i = 1; i < ctx.num_inputs(); ++i) {
      const ValueInfo v = ctx.input(i);
      if (!v.has_rank) return ctx.set_output_unknown_rank(0, first.dtype);
      if (v.rank() != first.rank()) fail_invalid("Concat: inputs have different ranks");
      for (int d = 0; d < first.rank(); ++d) {
        if (d == a) out[d] = (out[d] < 0 || v.dims[d] < 0) ? -1 : out[d] + v.dims[d];
        else if (out[d] < 0) out[d] = v.dims[d];
        else if (v.dims[d] >= 0 && v.dims[d] != out[d])
          fail_invalid("Concat: input " + std::to_string(i) + " has dim " + std::to_string(d) + " of " +
                       std::to_string(v.dims[d]) + ", expected " + std::to_string(out[d]));
      }
    }
    ctx.set_output(0, first.dtype, out);
  }
  void execute(ExecContext& ctx) {
    const Tensor y = ctx.output(0);
    const int a = normalize_axis(axis, y.rank(), "Concat");
    const size_t elem = dtype_size(y.dtype());
    const std::vector<int64_t> dims = y.shape();
    const int64_t outer = span_size(dims, 0, static_cast<size_t>(a));
    const int64_t inner = span_size(dims, static_cast<size_t>(a) + 1, dims.size());
    const int64_t out_row = dims[a] * inner * static_cast<int64_t>(elem);
    auto* out = static_cast<uint8_t*>(y.raw());
    int64_t offset = 0;  // bytes into each output row
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor x = ctx.input(i);
      const int64_t row = x.dim(a) * inner * static_cast<int64_t>(elem);
      const auto* in = static_cast<const uint8_t*>(x.raw());
      for (int64_t o = 0; o < outer && row > 0; ++o) std::memcpy(out + o * out_row + offset, in + o * row, static_cast<size_t>(row));
      offset += row;
    }
  }
  int64_t axis;
};

}  // namespace

const kiln_kernel_desc* concat_kernel() { return describe<Concat>(); }

}  // namespace kiln::cpu_ref
