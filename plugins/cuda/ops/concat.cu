// Concat: inputs laid end to end along one axis, each a strided copy into its slice of the output. Declared
// KILN_KERNEL_CONCAT, so when the inputs' producers can write through strides the builder has them write
// straight into their slices and this node does nothing at run time; when it does run, any input already in
// place is skipped (a copy onto itself).
#include "common/constant_inputs.hpp"
#include "common/movement_copy.hpp"
#include "common/movement_index.cuh"
#include "common/movement_shape.hpp"

namespace kiln::cuda {
namespace {

using namespace movement;

struct Concat {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.Concat";
    s.op_type = "Concat";
    s.opset_min = 4;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_CONCAT;
    s.inputs = {io_layouts(kMovableDtypes, kAnyLayout, KILN_IO_VARIADIC)};
    s.outputs = {io_layouts(kMovableDtypes, kAnyLayout)};
    return s;
  }

  static std::string check(const Node& node) {
    for (int i = 0; i < node.num_inputs(); ++i) {
      const std::string why = rank_limit_reason(node.input(i).rank());
      if (!why.empty()) return why;
      // The bytes are moved as they are: every input must already have the output's type.
      if (node.input(i).dtype != node.input(0).dtype)
        return "input " + std::to_string(i) + " is " + dtype_name(node.input(i).dtype) + ", input 0 " +
               dtype_name(node.input(0).dtype);
    }
    return "";
  }

  explicit Concat(const Node& node) : axis(node.attr_int("axis")), constants(node) {}

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
    check_shapes(ctx, y, a);  // before anything is written: a wrong shape would write out of bounds
    const std::vector<int64_t> y_strides = element_strides(y);
    const auto stream = static_cast<cudaStream_t>(ctx.stream());
    int64_t along = 0;  // where the next input starts on the axis
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor x = ctx.input(i);
      StridedCopy copy;
      copy.dims = x.shape();
      copy.src_strides = element_strides(x);
      copy.dst_strides = y_strides;
      copy.dst_offset = along * y_strides[static_cast<size_t>(a)];
      if (x.numel() > 0) copy_strided(constants.data(ctx, i), y.raw(), dtype_size(y.dtype()), copy, stream);
      along += x.dim(a);
    }
  }

  // Every input has the output's rank, element size and dims off the axis; together they span the axis.
  static void check_shapes(const ExecContext& ctx, const Tensor& y, int a) {
    int64_t along = 0;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor x = ctx.input(i);
      bool fits = x.rank() == y.rank() && dtype_size(x.dtype()) == dtype_size(y.dtype());
      for (int d = 0; d < x.rank() && fits; ++d) fits = d == a || x.dim(d) == y.dim(d);
      if (!fits)
        fail_invalid("Concat: input " + std::to_string(i) + " (" + dims_text(x.shape()) + " " + dtype_name(x.dtype()) +
                     ") does not fit the output (" + dims_text(y.shape()) + " " + dtype_name(y.dtype()) + ")");
      along += x.dim(a);
    }
    if (along != y.dim(a))
      fail_invalid("Concat: the inputs span " + std::to_string(along) + " along axis " + std::to_string(a) +
                   ", the output " + std::to_string(y.dim(a)));
  }

  int64_t axis;
  ConstantInputs constants;
};

}  // namespace

const kiln_kernel_desc* concat_kernel() { return describe<Concat>(); }

}  // namespace kiln::cuda
