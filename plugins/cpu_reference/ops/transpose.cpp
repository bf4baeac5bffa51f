// Transpose: permute dims (default: reverse them).
#include "common/elementwise.hpp"
#include "common/shape_util.hpp"
#include "common/strided_copy.hpp"

namespace kiln::cpu_ref {
namespace {

struct Transpose {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Transpose";
    s.op_type = "Transpose";
    s.inputs = {io(AllTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16))};
    s.outputs = s.inputs;
    s.flags = KILN_KERNEL_QUANT_PASSTHROUGH;  // moves elements: exact on integers that share one grid
    return s;
  }
  explicit Transpose(const Node& node) : perm(node.attr_ints("perm", {})) {}
  std::vector<int64_t> permutation(int rank) const {
    std::vector<int64_t> p = perm;
    if (p.empty())
      for (int i = rank - 1; i >= 0; --i) p.push_back(i);
    if (static_cast<int>(p.size()) != rank) fail_invalid("Transpose: perm has " + std::to_string(p.size()) + " entries for rank " + std::to_string(rank));
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    for (int64_t& a : p) {
      a = normalize_axis(a, rank, "Transpose");
      if (seen[a]) fail_invalid("Transpose: perm repeats axis " + std::to_string(a));
      seen[a] = true;
    }
    return p;
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    const std::vector<int64_t> p = Transpose(node).permutation(x.rank());
    std::vector<int64_t> out;
    for (int64_t a : p) out.push_back(x.dims[a]);
    ctx.set_output(0, x.dtype, out);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> p = permutation(x.rank());
    const std::vector<int64_t> in_strides = dense_strides(x.shape());
    std::vector<int64_t> strides;
    for (int64_t a : p) strides.push_back(in_strides[a]);
    strided_copy(x.raw(), y.raw(), dtype_size(x.dtype()), y.shape(), strides, 0);
  }
  std::vector<int64_t> perm;
};

}  // namespace

const kiln_kernel_desc* transpose_kernel() { return describe<Transpose>(); }

}  // namespace kiln::cpu_ref
