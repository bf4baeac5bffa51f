// Pad: constant, reflect, edge and wrap modes; negative pads crop. Pads are an attribute before opset 11 and a
// constant input from 11 (with an optional constant value, and from 18 optional constant axes). Each output
// element maps, axis by axis, to an input element or to the constant.
#include <cstring>

#include "common/cuda_check.hpp"
#include "common/constant_inputs.hpp"
#include "common/movement_element.cuh"
#include "common/movement_index.cuh"
#include "common/movement_scalar.hpp"
#include "common/movement_shape.hpp"

namespace kiln::cuda {
namespace {

using namespace movement;

enum class PadMode : int { Constant, Reflect, Edge, Wrap };

// The input index that output index `i` (already shifted by the begin pad) reads along an axis of `n`, or -1
// for the constant. Negative pads crop first; edge, wrap and reflect then work within what is kept, [lo, hi).
__host__ __device__ inline int64_t pad_source(int64_t i, int64_t n, int64_t begin, int64_t end, PadMode mode) {
  const int64_t lo = begin < 0 ? -begin : 0, hi = n - (end < 0 ? -end : 0), kept = hi - lo;
  if (i >= lo && i < hi) return i;
  if (mode == PadMode::Constant || kept <= 0) return -1;
  const int64_t j = i - lo;  // relative to the kept range
  if (mode == PadMode::Edge) return lo + (j < 0 ? 0 : kept - 1);
  if (mode == PadMode::Wrap) return lo + ((j % kept) + kept) % kept;
  if (kept == 1) return lo;  // reflect of a single element
  const int64_t period = 2 * (kept - 1);
  const int64_t r = ((j % period) + period) % period;
  return lo + (r < kept ? r : period - r);
}

template <class T, class Index>
struct PadParams {
  IndexSpace<Index> space;  // the output's dims
  int64_t begin[kMaxMovementRank];
  int64_t end[kMaxMovementRank];
  int64_t in_dims[kMaxMovementRank];
  Index in_strides[kMaxMovementRank];
  Index out_strides[kMaxMovementRank];
  PadMode mode;
  T fill;
  Index total;
};

template <class T, class Index>
__host__ __device__ inline void pad_element(const T* in, T* out, const PadParams<T, Index>& p, Index i) {
  Index c[kMaxMovementRank] = {};
  p.space.coords(i, c);
  Index from = 0;
  bool inside = true;
  KILN_MOVEMENT_UNROLL
  for (int d = 0; d < kMaxMovementRank; ++d) {
    if (d < p.space.rank && inside) {
      const int64_t s = pad_source(static_cast<int64_t>(c[d]) - p.begin[d], p.in_dims[d], p.begin[d], p.end[d], p.mode);
      inside = s >= 0;
      from += static_cast<Index>(s) * p.in_strides[d];
    }
  }
  out[dot(c, p.out_strides, p.space.rank)] = inside ? in[from] : p.fill;
}

template <class T, class Index>
__global__ void pad_device_kernel(const T* __restrict__ in, T* __restrict__ out, PadParams<T, Index> p) {
  for (Index i = grid_start<Index>(); i < p.total; i += grid_stride<Index>()) pad_element(in, out, p, i);
}

PadMode parse_mode(const std::string& mode) {
  if (mode == "constant") return PadMode::Constant;
  if (mode == "reflect") return PadMode::Reflect;
  if (mode == "edge") return PadMode::Edge;
  if (mode == "wrap") return PadMode::Wrap;
  fail_invalid("Pad: unknown mode '" + mode + "'");
}

struct Pad {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.Pad";
    s.op_type = "Pad";
    s.opset_min = 2;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {io_layouts(kMovableDtypes, kAnyLayout), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL),
                io(kMovableDtypes, KILN_IO_OPTIONAL), io(kIndexDtypes, KILN_IO_OPTIONAL)};
    s.outputs = {io_layouts(kMovableDtypes, kAnyLayout)};
    return s;
  }

  static std::string check(const Node& node) {
    const std::string why = rank_limit_reason(node.input(0).rank());
    if (!why.empty() || node.opset() < 11) return why;
    if (!node.has_input(1) || !known_or_absent(node, 1)) return "pads must be constant";
    if (!known_or_absent(node, 2)) return "constant_value must be constant";
    if (node.has_input(2) && node.input(2).dtype != node.input(0).dtype)
      return std::string("constant_value is ") + dtype_name(node.input(2).dtype) + ", the data " + dtype_name(node.input(0).dtype);
    if (!known_or_absent(node, 3)) return "axes must be constant";
    return "";
  }

  explicit Pad(const Node& node)
      : opset(node.opset()), mode(parse_mode(node.attr_string("mode", "constant"))), constants(node, {0}) {
    if (opset < 11) {
      pads = node.attr_ints("pads");
      attr_value = node.attr_float("value", 0.0f);
      return;
    }
    pads = constant_ints(node, 1);
    if (opset >= 18) axes = constant_ints(node, 3);
    if (node.has_input(2) && node.input(2).shape_known() && node.input(2).numel() > 0) {
      const ValueInfo v = node.input(2);
      if (!v.data) fail_invalid("Pad: constant_value must be constant");
      value_dtype = v.dtype;
      std::memcpy(&value_bits, v.data, dtype_size(v.dtype));
    }
  }

  // Begin pads of every dim, then end pads ([x1_begin, x2_begin, ..., x1_end, ...]), from pads over `axes`.
  static std::vector<int64_t> full_pads(const std::vector<int64_t>& pads, std::vector<int64_t> axes, int rank) {
    if (axes.empty())
      for (int i = 0; i < rank; ++i) axes.push_back(i);
    if (pads.size() != 2 * axes.size())
      fail_invalid("Pad: " + std::to_string(pads.size()) + " pads for " + std::to_string(axes.size()) + " axes");
    std::vector<int64_t> out(2 * static_cast<size_t>(rank), 0);
    for (size_t k = 0; k < axes.size(); ++k) {
      const size_t a = static_cast<size_t>(normalize_axis(axes[k], rank, "Pad"));
      out[a] = pads[k];
      out[a + static_cast<size_t>(rank)] = pads[k + axes.size()];
    }
    return out;
  }

  static std::vector<int64_t> padded(const std::vector<int64_t>& dims, const std::vector<int64_t>& pads) {
    std::vector<int64_t> out(dims.size());
    for (size_t i = 0; i < dims.size(); ++i) {
      out[i] = dims[i] < 0 ? -1 : dims[i] + pads[i] + pads[i + dims.size()];
      if (dims[i] >= 0 && out[i] < 0) fail_invalid("Pad: negative pads crop more than the dim holds");
    }
    return out;
  }

  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    std::vector<int64_t> pads, axes;
    bool known = true;
    if (node.opset() < 11) pads = node.attr_ints("pads");
    else known = known_ints(ctx, 1, pads) && (!ctx.has_input(3) || node.opset() < 18 || known_ints(ctx, 3, axes));
    if (!known) return ctx.set_output(0, x.dtype, std::vector<int64_t>(x.dims.size(), -1));
    ctx.set_output(0, x.dtype, padded(x.dims, full_pads(pads, axes, x.rank())));
  }

  // The constant's bits in the data's dtype.
  uint64_t fill_bits(kiln_dtype dtype) const {
    if (opset < 11) return scalar_bits(dtype, attr_value);
    if (value_dtype == KILN_DTYPE_UNDEFINED) return 0;
    if (value_dtype == dtype) return value_bits;
    return scalar_bits(dtype, scalar_value(value_dtype, &value_bits));
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const int rank = x.rank();
    const std::vector<int64_t> p = full_pads(pads, axes, rank);
    if (padded(x.shape(), p) != y.shape())
      fail_invalid("Pad: output " + dims_text(y.shape()) + ", expected " + dims_text(padded(x.shape(), p)));
    if (y.numel() == 0) return;
    const std::vector<int64_t> x_strides = element_strides(x), y_strides = element_strides(y);
    const bool small =
        fits_32bit(y.numel(), {furthest_offset(x.shape(), x_strides, 0), furthest_offset(y.shape(), y_strides, 0)});
    const auto stream = static_cast<cudaStream_t>(ctx.stream());
    const uint64_t fill = fill_bits(x.dtype());
    const void* in = constants.data(ctx, 0);
    dispatch_element_size(dtype_size(x.dtype()), "Pad", [&](auto tag) {
      using T = decltype(tag);
      auto launch = [&](auto index_tag) {
        using Index = decltype(index_tag);
        PadParams<T, Index> params;
        params.space = make_index_space<Index>(y.shape());
        for (int d = 0; d < kMaxMovementRank; ++d) {
          const bool used = d < rank;
          params.begin[d] = used ? p[static_cast<size_t>(d)] : 0;
          params.end[d] = used ? p[static_cast<size_t>(d + rank)] : 0;
          params.in_dims[d] = used ? x.dim(d) : 1;
        }
        to_index_array(x_strides, params.in_strides);
        to_index_array(y_strides, params.out_strides);
        params.mode = mode;
        params.fill = static_cast<T>(fill);
        params.total = static_cast<Index>(y.numel());
        pad_device_kernel<T, Index><<<movement_blocks(y.numel()), kMovementThreads, 0, stream>>>(
            static_cast<const T*>(in), static_cast<T*>(y.raw()), params);
        KILN_CUDA_LAUNCHED();
      };
      if (small) launch(uint32_t{});
      else launch(uint64_t{});
    });
  }

  int opset;
  PadMode mode;
  std::vector<int64_t> pads, axes;
  float attr_value = 0;                           // before opset 11
  kiln_dtype value_dtype = KILN_DTYPE_UNDEFINED;  // from 11: the constant_value input's dtype and bits, if any
  uint64_t value_bits = 0;
  ConstantInputs constants;  // the data, when it is an initializer
};

}  // namespace

const kiln_kernel_desc* pad_kernel() { return describe<Pad>(); }

}  // namespace kiln::cuda
