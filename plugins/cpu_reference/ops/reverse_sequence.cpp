// ReverseSequence: for each batch entry b, reverse the first sequence_lens[b] steps along the time axis and
// keep the rest. batch_axis and time_axis are 0 and 1 in either order.
#include <cstring>

#include "common/element_value.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

struct ReverseSequence {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.ReverseSequence";
    s.op_type = "ReverseSequence";
    s.opset_min = 10;
    s.inputs = {io(kEveryDtype), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64))};
    s.outputs = {io(kEveryDtype)};
    return s;
  }
  explicit ReverseSequence(const Node& node)
      : batch_axis(node.attr_int("batch_axis", 1)), time_axis(node.attr_int("time_axis", 0)) {
    if (!((batch_axis == 0 && time_axis == 1) || (batch_axis == 1 && time_axis == 0)))
      fail_invalid("ReverseSequence: batch_axis and time_axis must be 0 and 1 in some order");
  }
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    if (x.rank() < 2) fail_invalid("ReverseSequence: input must have rank >= 2");
    ctx.set_output(0, x.dtype, x.dims);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    if (x.rank() < 2) fail_invalid("ReverseSequence: input must have rank >= 2");
    const std::vector<int64_t> dims = x.shape(), lens = ctx.input(1).int_values();
    const int64_t batch = dims[batch_axis], time = dims[time_axis];
    if (static_cast<int64_t>(lens.size()) != batch)
      fail_invalid("ReverseSequence: sequence_lens has " + std::to_string(lens.size()) + " entries for batch " +
                   std::to_string(batch));
    for (int64_t len : lens)
      if (len < 0 || len > time)
        fail_invalid("ReverseSequence: sequence length " + std::to_string(len) + " is outside [0, " + std::to_string(time) + "]");
    if (!y.present() || y.numel() == 0) return;
    const size_t elem = dtype_size(x.dtype());
    const std::vector<int64_t> strides = dense_strides(dims);
    const int64_t inner = span_size(dims, 2, dims.size()) * static_cast<int64_t>(elem);  // bytes per (b, t) row
    const auto* in = static_cast<const uint8_t*>(x.raw());
    auto* out = static_cast<uint8_t*>(y.raw());
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t t = 0; t < time; ++t) {
        const int64_t from = t < lens[b] ? lens[b] - 1 - t : t;
        const int64_t dst = b * strides[batch_axis] + t * strides[time_axis];
        const int64_t src = b * strides[batch_axis] + from * strides[time_axis];
        std::memcpy(out + dst * static_cast<int64_t>(elem), in + src * static_cast<int64_t>(elem), static_cast<size_t>(inner));
      }
  }
  int64_t batch_axis, time_axis;
};

}  // namespace

const kiln_kernel_desc* reverse_sequence_kernel() { return describe<ReverseSequence>(); }

}  // namespace kiln::cpu_ref
