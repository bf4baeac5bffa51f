// Split: cut along one axis into parts given by `split` (attribute before opset 13, input after), or into
// equal parts (the last one smaller when num_outputs does not divide the dim, opset 18).
#include <cstring>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

struct Split {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Split";
    s.op_type = "Split";
    s.opset_min = 2;
    const uint64_t any = AllTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16);
    s.inputs = {io(any), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL)};
    s.outputs = {io(any, KILN_IO_VARIADIC)};
    return s;
  }
  explicit Split(const Node& node) : axis(node.attr_int("axis", 0)), outputs(node.num_outputs()), opset(node.opset()) {
    if (node.opset() < 13) sizes = node.attr_ints("split", {});
    if (node.has("num_outputs") && node.attr_int("num_outputs") != outputs)
      fail_invalid("Split: num_outputs is " + std::to_string(node.attr_int("num_outputs")) + " but the node has " +
                   std::to_string(outputs) + " outputs");
  }
  // Part sizes for a dim of `length`, from `given` when not empty.
  std::vector<int64_t> parts(int64_t length, const std::vector<int64_t>& given) const {
    if (!given.empty()) {
      if (static_cast<int>(given.size()) != outputs) fail_invalid("Split: 'split' has a different count than the outputs");
      int64_t total = 0;
      for (int64_t g : given) total += g;
      if (total != length)
        fail_invalid("Split: 'split' does not add up to the dim " + std::to_string(length));
      return given;
    }
    // Equal parts; from opset 18 the last may be smaller, before that the dim must divide evenly.
    if (opset < 18 && length % outputs != 0)
      fail_invalid("Split: dim " + std::to_string(length) + " does not split into " + std::to_string(outputs) + " equal parts");
    const int64_t chunk = (length + outputs - 1) / outputs;
    std::vector<int64_t> out;
    for (int i = 0; i < outputs; ++i) out.push_back(std::max<int64_t>(0, std::min(chunk, length - chunk * i)));
    return out;
  }
  std::vector<int64_t> split_input(const std::vector<int64_t>& input) const { return sizes.empty() ? input : sizes; }
  static void infer(const Node& node, InferContext& ctx) {
    const Split split(node);
    const ValueInfo x = ctx.input(0);
    std::vector<int64_t> given;
    const bool known = !ctx.has_input(1) || known_ints(ctx, 1, given);
    if (!x.has_rank || !known) {
      for (int i = 0; i < split.outputs; ++i) ctx.set_output_unknown_rank(i, x.dtype);
      return;
    }
    const int a = normalize_axis(split.axis, x.rank(), "Split");
    const std::vector<int64_t> p = x.dims[a] < 0 ? std::vector<int64_t>(split.outputs, -1) : split.parts(x.dims[a], split.split_input(given));
    for (int i = 0; i < split.outputs; ++i) {
      std::vector<int64_t> dims = x.dims;
      dims[a] = p[i];
      ctx.set_output(i, x.dtype, dims);
    }
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0);
    const int a = normalize_axis(axis, x.rank(), "Split");
    const std::vector<int64_t> dims = x.shape();
    const size_t elem = dtype_size(x.dtype());
    const int64_t outer = span_size(dims, 0, static_cast<size_t>(a));
    const int64_t inner = span_size(dims, static_cast<size_t>(a) + 1, dims.size()) * static_cast<int64_t>(elem);
    const auto* in = static_cast<const uint8_t*>(x.raw());
    int64_t offset = 0;
    for (int i = 0; i < ctx.num_outputs(); ++i) {
      const Tensor y = ctx.output(i);
      if (!y.present()) continue;
      const int64_t row = y.dim(a) * inner;
      for (int64_t o = 0; o < outer && row > 0; ++o)
        std::memcpy(static_cast<uint8_t*>(y.raw()) + o * row, in + o * dims[a] * inner + offset, static_cast<size_t>(row));
      offset += row;
    }
  }
  int64_t axis;
  int outputs;
  int opset;
  std::vector<int64_t> sizes;
};

}  // namespace

const kiln_kernel_desc* split_kernel() { return describe<Split>(); }

}  // namespace kiln::cpu_ref
