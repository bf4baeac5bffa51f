// Transpose: output dim k is input dim perm[k] (default: the dims reversed), as one strided copy whose source
// strides are the input's, permuted. The copy merges dims that stay neighbours and, when the innermost dims
// swap (the common batched 2-D case, NCHW <-> NHWC), moves the data through shared-memory tiles.
#include "common/constant_inputs.hpp"
#include "common/movement_copy.hpp"
#include "common/movement_index.cuh"
#include "common/movement_shape.hpp"

namespace kiln::cuda {
namespace {

using namespace movement;

struct Transpose {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.Transpose";
    s.op_type = "Transpose";
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {io_layouts(kMovableDtypes, kAnyLayout)};
    s.outputs = {io_layouts(kMovableDtypes, kAnyLayout)};
    return s;
  }

  static std::string check(const Node& node) {
    return rank_limit_reason(node.input(0).rank());
  }

  explicit Transpose(const Node& node) : perm(node.attr_ints("perm", {})), constants(node, {0}) {}

  // The permutation attribute `perm` for a rank-`rank` input, defaulted and checked.
  static std::vector<int64_t> permutation(std::vector<int64_t> p, int rank) {
    if (p.empty())
      for (int i = rank - 1; i >= 0; --i) p.push_back(i);
    if (static_cast<int>(p.size()) != rank)
      fail_invalid("Transpose: perm has " + std::to_string(p.size()) + " entries for rank " + std::to_string(rank));
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    for (int64_t& a : p) {
      a = normalize_axis(a, rank, "Transpose");
      if (seen[static_cast<size_t>(a)]) fail_invalid("Transpose: perm repeats axis " + std::to_string(a));
      seen[static_cast<size_t>(a)] = true;
    }
    return p;
  }

  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    std::vector<int64_t> out;
    for (int64_t a : permutation(node.attr_ints("perm", {}), x.rank())) out.push_back(x.dims[static_cast<size_t>(a)]);
    ctx.set_output(0, x.dtype, out);
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> p = permutation(perm, x.rank());
    const std::vector<int64_t> x_strides = element_strides(x);
    StridedCopy copy;
    for (int64_t a : p) {
      copy.dims.push_back(x.dim(static_cast<int>(a)));
      copy.src_strides.push_back(x_strides[static_cast<size_t>(a)]);
    }
    if (copy.dims != y.shape())
      fail_invalid("Transpose: permuted input " + dims_text(copy.dims) + " differs from the output " +
                   dims_text(y.shape()));
    copy.dst_strides = element_strides(y);
    copy_strided(constants.data(ctx, 0), y.raw(), dtype_size(x.dtype()), copy, static_cast<cudaStream_t>(ctx.stream()));
  }

  std::vector<int64_t> perm;
  ConstantInputs constants;  // the data, when it is an initializer
};

}  // namespace

const kiln_kernel_desc* transpose_kernel() { return describe<Transpose>(); }

}  // namespace kiln::cuda
