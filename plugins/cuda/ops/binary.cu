// Binary arithmetic on float32/float16 with multidirectional (numpy) broadcasting: z = op(a, b) in float, any
// layout (common/strided.cuh). Add, Sub, Mul, Div and Pow also take opsets 1-6, whose `broadcast`/`axis`
// attributes line B up with A; Max and Min are variadic in ONNX, and this kernel takes exactly two inputs.
#include <cuda_runtime.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/constant_inputs.hpp"
#include "common/elementwise_types.cuh"
#include "common/strided.cuh"
#include "kiln/plugin.hpp"

namespace kiln::cuda {
namespace {

using namespace elementwise;

struct Add {
  static constexpr const char* kName = "Add";
  static constexpr int kSince = 1;
  __device__ float operator()(float a, float b) const { return a + b; }
};
struct Sub {
  static constexpr const char* kName = "Sub";
  static constexpr int kSince = 1;
  __device__ float operator()(float a, float b) const { return a - b; }
};
struct Mul {
  static constexpr const char* kName = "Mul";
  static constexpr int kSince = 1;
  __device__ float operator()(float a, float b) const { return a * b; }
};
struct Div {
  static constexpr const char* kName = "Div";
  static constexpr int kSince = 1;
  __device__ float operator()(float a, float b) const { return a / b; }
};
struct Pow {
  static constexpr const char* kName = "Pow";
  static constexpr int kSince = 1;
  __device__ float operator()(float a, float b) const { return powf(a, b); }
};
// NaN propagates through Max and Min, as in numpy's maximum/minimum and the reference pack.
struct Max {
  static constexpr const char* kName = "Max";
  static constexpr int kSince = 6;
  __device__ float operator()(float a, float b) const { return a != a ? a : b != b ? b : std_max(a, b); }
};
struct Min {
  static constexpr const char* kName = "Min";
  static constexpr int kSince = 6;
  __device__ float operator()(float a, float b) const { return a != a ? a : b != b ? b : std_min(a, b); }
};

// Opsets 1-6 broadcast B only when attribute `broadcast` is 1, lining B's dims up with A's from `axis` (default:
// the trailing dims). Padding B's dims with 1s to A's rank turns that into numpy broadcasting.
class LegacyBroadcast {
 public:
  explicit LegacyBroadcast(const Node& node) {
    if (node.opset() >= 7 || node.attr_int("broadcast", 0) == 0) return;
    enabled_ = true;
    has_axis_ = node.has("axis");
    if (has_axis_) axis_ = node.attr_int("axis");
  }
  // B's dims and strides padded to A's rank (unchanged unless legacy broadcasting is on).
  void line_up(const std::vector<int64_t>& a, std::vector<int64_t>& b_dims, std::vector<int64_t>& b_strides) const {
    if (!enabled_) return;
    const int64_t rank_a = static_cast<int64_t>(a.size()), rank_b = static_cast<int64_t>(b_dims.size());
    int64_t axis = has_axis_ ? axis_ : rank_a - rank_b;
    if (axis < 0) axis += rank_a;
    if (axis < 0 || axis + rank_b > rank_a)
      fail_invalid("legacy broadcast: B " + dims_text(b_dims) + " does not fit A " + dims_text(a) + " at axis " +
                   std::to_string(axis));
    std::vector<int64_t> dims(a.size(), 1), strides(a.size(), 0);
    std::copy(b_dims.begin(), b_dims.end(), dims.begin() + axis);
    std::copy(b_strides.begin(), b_strides.end(), strides.begin() + axis);
    b_dims = std::move(dims);
    b_strides = std::move(strides);
  }

 private:
  bool enabled_ = false, has_axis_ = false;
  int64_t axis_ = 0;
};

// The broadcast of two shapes; unknown dims (-1) stay unknown unless the other input fixes them.
std::vector<int64_t> broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b, const char* op) {
  std::vector<int64_t> out(std::max(a.size(), b.size()), 1);
  for (const std::vector<int64_t>* s : {&a, &b})
    for (size_t i = 0; i < s->size(); ++i) {
      int64_t& o = out[out.size() - s->size() + i];
      const int64_t d = (*s)[i];
      if (d == 1 || d == o) continue;
      if (o == 1 || o == -1) o = d;
      else if (d != -1) fail_invalid(std::string(op) + ": shapes " + dims_text(a) + " and " + dims_text(b) + " cannot broadcast");
    }
  return out;
}

template <class Op>
struct BinaryKernel {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = std::string("kiln.cuda.") + Op::kName;
    s.op_type = Op::kName;
    s.opset_min = Op::kSince;
    s.device = KILN_DEVICE_CUDA;
    // In place: the planner only offers input 0's buffer when it is at least the output's size, i.e. when A is
    // not broadcast; the launch refuses an alias whose layouts differ.
    s.flags = KILN_KERNEL_INPLACE_0 | KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {io_layouts(kFloatDtypes, kAnyLayout), io_layouts(kFloatDtypes, kAnyLayout)};
    s.outputs = {io_layouts(kFloatDtypes, kAnyLayout)};
    return s;
  }
  static std::string check(const Node& node) {
    if (node.num_inputs() != 2)
      return std::string(Op::kName) + " with " + std::to_string(node.num_inputs()) + " inputs: the CUDA kernel takes exactly two";
    if (std::string why = mixed_float_dtypes(node, {0, 1}); !why.empty()) return why;
    if (std::string why = rank_too_high(node, 0); !why.empty()) return why;
    return rank_too_high(node, 1);
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo a = ctx.input(0), b = ctx.input(1);
    if (!a.has_rank || !b.has_rank) return ctx.set_output_unknown_rank(0, a.dtype);
    std::vector<int64_t> b_dims = b.dims, b_strides(b.dims.size(), 0);
    LegacyBroadcast(node).line_up(a.dims, b_dims, b_strides);
    ctx.set_output(0, a.dtype, broadcast_shapes(a.dims, b_dims, Op::kName));
  }
  // A constant operand (a bias, an exponent) is host memory: its device copy is made here, once.
  explicit BinaryKernel(const Node& node) : legacy(node), constants(node) {}

  void execute(ExecContext& ctx) {
    const Tensor a = on_device(ctx, 0), b = on_device(ctx, 1), z = ctx.output(0);
    require_dtype(a, z.dtype(), Op::kName, "input A");
    require_dtype(b, z.dtype(), Op::kName, "input B");
    const std::vector<int64_t> dims = z.shape();
    std::vector<int64_t> b_dims = b.shape(), b_strides = own_strides(b);
    legacy.line_up(a.shape(), b_dims, b_strides);
    dispatch_float(z.dtype(), Op::kName, [&](auto tag) {
      using T = decltype(tag);
      const Operand<const T> b_read{b.data<const T>(), broadcast_read_strides(b_dims, b_strides, dims, Op::kName)};
      launch_elementwise(Op::kName, ThroughFloat<T, Op>{Op{}}, dims, output_operand<T>(z), stream_of(ctx),
                         input_operand<T>(a, dims, Op::kName), b_read);
    });
  }
  // Input i as the device sees it: a constant's uploaded copy in place of its host pointer.
  Tensor on_device(const ExecContext& ctx, int i) const {
    kiln_tensor t = ctx.input(i).c();
    t.data = const_cast<void*>(constants.data(ctx, i));
    return Tensor(t);
  }

  LegacyBroadcast legacy;
  ConstantInputs constants;
};

}  // namespace

const kiln_kernel_desc* add_kernel() { return describe<BinaryKernel<Add>>(); }
const kiln_kernel_desc* sub_kernel() { return describe<BinaryKernel<Sub>>(); }
const kiln_kernel_desc* mul_kernel() { return describe<BinaryKernel<Mul>>(); }
const kiln_kernel_desc* div_kernel() { return describe<BinaryKernel<Div>>(); }
const kiln_kernel_desc* pow_kernel() { return describe<BinaryKernel<Pow>>(); }
const kiln_kernel_desc* max_kernel() { return describe<BinaryKernel<Max>>(); }
const kiln_kernel_desc* min_kernel() { return describe<BinaryKernel<Min>>(); }

}  // namespace kiln::cuda
