// Resize (opset 10 on) and Upsample (opsets 7-9): nearest for any rank and dtype (every nearest_mode), linear
// for float data with at most two resized axes (bilinear over H and W of NCHW or NHWC), with coordinate modes
// half_pixel, asymmetric, align_corners and pytorch_half_pixel. Scales or sizes must be constant. Output dims are
// floor(input * scale), or the sizes (rescaled by one common factor and rounded half up when
// keep_aspect_ratio_policy is not "stretch"), as the CPU reference computes them. Declined: cubic mode,
// antialias, tf_crop_and_resize, tf_half_pixel_for_nn, half_pixel_symmetric, linear over three or more axes.
#include <algorithm>
#include <cmath>

#include "common/cuda_check.hpp"
#include "common/constant_inputs.hpp"
#include "common/movement_element.cuh"
#include "common/movement_index.cuh"
#include "common/movement_resample.cuh"
#include "common/movement_shape.hpp"

namespace kiln::cuda {
namespace {

using namespace movement;

constexpr uint64_t kLinearDtypes = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT16) |
                                   KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT64);

// How a node resamples, from its attributes.
struct ResampleMode {
  bool linear = false;
  Coordinate coordinate = Coordinate::Asymmetric;
  NearestRounding rounding = NearestRounding::Simple;
};

// Whether `mode` is linear (else nearest); "" when it is one of them, else why not.
std::string parse_kind(const std::string& mode, bool& linear) {
  linear = mode == "linear" || mode == "bilinear" || mode == "trilinear";
  if (linear || mode == "nearest") return "";
  if (mode == "cubic") return "cubic mode is not implemented";
  return "unknown mode '" + mode + "'";
}

std::string parse_coordinate(const std::string& name, Coordinate& out) {
  if (name == "half_pixel") out = Coordinate::HalfPixel;
  else if (name == "asymmetric") out = Coordinate::Asymmetric;
  else if (name == "align_corners") out = Coordinate::AlignCorners;
  else if (name == "pytorch_half_pixel") out = Coordinate::PytorchHalfPixel;
  else return "coordinate_transformation_mode '" + name + "' is not implemented";
  return "";
}

std::string parse_rounding(const std::string& name, NearestRounding& out) {
  if (name == "round_prefer_floor") out = NearestRounding::RoundPreferFloor;
  else if (name == "round_prefer_ceil") out = NearestRounding::RoundPreferCeil;
  else if (name == "floor") out = NearestRounding::Floor;
  else if (name == "ceil") out = NearestRounding::Ceil;
  else return "unknown nearest_mode '" + name + "'";
  return "";
}

// An output length from a real-valued one, failing for lengths no tensor could have (inf, NaN, > 2^62).
int64_t resized_length(double length, const char* op) {
  if (!(length >= 0 && length < 4.6e18))
    fail_invalid(std::string(op) + ": output length " + std::to_string(length) + " is out of range");
  return static_cast<int64_t>(std::floor(length));
}

// The axes a linear resample interpolates along (those not left alone).
std::vector<int> resized_axes(const std::vector<AxisResize>& axes) {
  std::vector<int> out;
  for (size_t d = 0; d < axes.size(); ++d)
    if (!axes[d].identity()) out.push_back(static_cast<int>(d));
  return out;
}

// Why a node's resampling is declined ("" when it is not): dtype, rank, and for linear the resized axes.
std::string resample_limits(const ValueInfo& x, bool linear, const std::vector<AxisResize>& plan) {
  const std::string why = rank_limit_reason(x.rank());
  if (!why.empty() || !linear) return why;
  if (!(KILN_DTYPE_BIT(x.dtype) & kLinearDtypes))
    return std::string("linear mode of ") + dtype_name(x.dtype) + " data is not implemented";
  if (resized_axes(plan).size() > 2) return "linear resize of more than two axes is not implemented";
  return "";
}

// ---- launching

template <class Index>
ResampleParams<Index> resample_params(const Tensor& x, const Tensor& y, const std::vector<AxisResize>& axes,
                                      const ResampleMode& mode) {
  ResampleParams<Index> p;
  p.space = make_index_space<Index>(y.shape());
  for (int d = 0; d < kMaxMovementRank; ++d) {
    const bool used = d < x.rank();
    const AxisResize a = used ? axes[static_cast<size_t>(d)] : AxisResize{1, 1, 1.0, 1.0};
    p.in_dims[d] = a.in;
    p.scales[d] = a.scale;
    p.lengths[d] = a.length;
    p.identity[d] = a.identity() ? 1 : 0;
  }
  to_index_array(element_strides(x), p.in_strides);
  to_index_array(element_strides(y), p.out_strides);
  p.coordinate = mode.coordinate;
  p.rounding = mode.rounding;
  const std::vector<int> resized = resized_axes(axes);
  p.linear_a = resized.size() > 0 ? resized[0] : -1;
  p.linear_b = resized.size() > 1 ? resized[1] : -1;
  p.total = static_cast<Index>(y.numel());
  return p;
}

template <class Index>
void launch_resample(const void* in, const Tensor& x, const Tensor& y, const std::vector<AxisResize>& axes,
                     const ResampleMode& mode, cudaStream_t stream) {
  const ResampleParams<Index> p = resample_params<Index>(x, y, axes, mode);
  const unsigned blocks = movement_blocks(y.numel());
  if (!mode.linear) {
    return dispatch_element_size(dtype_size(x.dtype()), "Resize", [&](auto tag) {
      using T = decltype(tag);
      nearest_kernel<T, Index>
          <<<blocks, kMovementThreads, 0, stream>>>(static_cast<const T*>(in), static_cast<T*>(y.raw()), p);
      KILN_CUDA_LAUNCHED();
    });
  }
  auto linear = [&](auto tag) {
    using T = decltype(tag);
    linear_kernel<T, Index>
        <<<blocks, kMovementThreads, 0, stream>>>(static_cast<const T*>(in), static_cast<T*>(y.raw()), p);
    KILN_CUDA_LAUNCHED();
  };
  switch (x.dtype()) {
    case KILN_DTYPE_FLOAT32: return linear(float{});
    case KILN_DTYPE_FLOAT64: return linear(double{});
    case KILN_DTYPE_FLOAT16: return linear(__half{});
    case KILN_DTYPE_BFLOAT16: return linear(__nv_bfloat16{});
    default:
      fail_unsupported(std::string("Resize: linear mode of ") + dtype_name(x.dtype()) + " data is not implemented");
  }
}

// Resamples x (device data `in`) into y by `axes`, after checking y has the planned dims.
void resample(const void* in, const Tensor& x, const Tensor& y, const std::vector<AxisResize>& axes,
              const ResampleMode& mode, const char* op, cudaStream_t stream) {
  std::vector<int64_t> dims;
  for (const AxisResize& a : axes) dims.push_back(a.out);
  if (dims != y.shape())
    fail_invalid(std::string(op) + ": output " + dims_text(y.shape()) + ", expected " + dims_text(dims));
  if (y.numel() == 0) return;
  for (const AxisResize& a : axes)
    if (a.in <= 0) fail_invalid(std::string(op) + ": cannot resample an empty axis to a non-empty one");
  if (mode.linear && resized_axes(axes).size() > 2)
    fail_unsupported(std::string(op) + ": linear resize of more than two axes");
  if (x.rank() > kMaxMovementRank)
    fail_unsupported(std::string(op) + ": rank above " + std::to_string(kMaxMovementRank));
  const int64_t in_far = furthest_offset(x.shape(), element_strides(x), 0);
  const int64_t out_far = furthest_offset(y.shape(), element_strides(y), 0);
  if (fits_32bit(y.numel(), {in_far, out_far})) launch_resample<uint32_t>(in, x, y, axes, mode, stream);
  else launch_resample<uint64_t>(in, x, y, axes, mode, stream);
}

// ---- Resize

// A float tensor's values (scales) as doubles.
std::vector<double> float_values(const ValueInfo& v) {
  std::vector<double> out;
  if (v.shape_known() && v.numel() == 0) return out;
  if (!v.data) fail_invalid("Resize: '" + v.name + "' must be constant");
  for (int64_t i = 0; i < v.numel(); ++i) {
    if (v.dtype == KILN_DTYPE_FLOAT32) out.push_back(v.as<float>()[i]);
    else if (v.dtype == KILN_DTYPE_FLOAT64) out.push_back(v.as<double>()[i]);
    else if (v.dtype == KILN_DTYPE_FLOAT16) out.push_back(static_cast<float>(v.as<float16>()[i]));
    else fail_invalid("Resize: '" + v.name + "' must be a float tensor, got " + dtype_name(v.dtype));
  }
  return out;
}

struct ResizeArgs {
  std::vector<double> scales;  // empty: sizes are given
  std::vector<int64_t> sizes;
};

struct Resize {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.Resize";
    s.op_type = "Resize";
    s.opset_min = 10;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;
    // Input 1 is roi from opset 11 (ignored: tf_crop_and_resize is declined) and the scales at opset 10. Not
    // float16, so that `precision: fp16` never rounds opset-10 scales.
    const uint64_t wide_floats = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT64);
    s.inputs = {io_layouts(kMovableDtypes, kAnyLayout), io(wide_floats, KILN_IO_OPTIONAL),
                io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32), KILN_IO_OPTIONAL),
                io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL)};
    s.outputs = {io_layouts(kMovableDtypes, kAnyLayout)};
    return s;
  }

  static std::string check(const Node& node) {
    const int opset = node.opset();
    ResampleMode mode;
    std::string why = parse_kind(node.attr_string("mode", "nearest"), mode.linear);
    if (why.empty() && opset >= 11)
      why = parse_coordinate(node.attr_string("coordinate_transformation_mode", "half_pixel"), mode.coordinate);
    if (why.empty() && opset >= 11)
      why = parse_rounding(node.attr_string("nearest_mode", "round_prefer_floor"), mode.rounding);
    if (why.empty() && opset >= 18 && mode.linear && node.attr_int("antialias", 0) != 0)
      why = "antialias is not implemented";
    if (!why.empty()) return why;
    if (!known_or_absent(node, scales_input(opset))) return "scales must be constant";
    if (opset >= 11 && !known_or_absent(node, 3)) return "sizes must be constant";
    const ValueInfo x = node.input(0);
    if (!x.has_rank) return mode.linear ? "linear mode needs the input's rank known" : "";
    Resize r(node, /*plan_only=*/true);
    r.args = constant_args(node);
    return resample_limits(x, mode.linear, r.plan(x.dims));
  }

  explicit Resize(const Node& node) : opset(node.opset()), constants(node, {0}) {
    std::string why = parse_kind(node.attr_string("mode", "nearest"), mode.linear);
    if (opset >= 11) {
      if (why.empty())
        why = parse_coordinate(node.attr_string("coordinate_transformation_mode", "half_pixel"), mode.coordinate);
      if (why.empty()) why = parse_rounding(node.attr_string("nearest_mode", "round_prefer_floor"), mode.rounding);
    }
    if (opset >= 18) {
      axes = node.attr_ints("axes", {});
      policy = node.attr_string("keep_aspect_ratio_policy", "stretch");
      if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
        fail_invalid("Resize: unknown keep_aspect_ratio_policy '" + policy + "'");
    }
    if (!why.empty()) fail_unsupported("Resize: " + why);
    args = constant_args(node);
  }

  static int scales_input(int opset) { return opset < 11 ? 1 : 2; }

  // Scales, or sizes when scales are absent or empty (opset 11 on), from constant inputs.
  static ResizeArgs constant_args(const Node& node) {
    ResizeArgs a;
    const int si = scales_input(node.opset());
    if (node.has_input(si)) a.scales = float_values(node.input(si));
    if (a.scales.empty() && node.opset() >= 11) a.sizes = constant_ints(node, 3);
    return a;
  }

  // The same from what inference knows; false when they are not known yet.
  static bool known_args(const Node& node, const InferContext& ctx, ResizeArgs& a) {
    const int si = scales_input(node.opset());
    if (ctx.has_input(si)) {
      const ValueInfo v = ctx.input(si);
      if (!v.shape_known() || (v.numel() > 0 && !v.data)) return false;
      a.scales = float_values(v);
    }
    return !a.scales.empty() || node.opset() < 11 || known_ints(ctx, 3, a.sizes);
  }

  // How every axis is resized, from the input dims (-1 where unknown: the output dim is then unknown too, and
  // the axis counts as resized).
  std::vector<AxisResize> plan(const std::vector<int64_t>& in) const {
    const int rank = static_cast<int>(in.size());
    std::vector<int64_t> ax = axes;
    if (ax.empty())
      for (int i = 0; i < rank; ++i) ax.push_back(i);
    for (int64_t& a : ax) a = normalize_axis(a, rank, "Resize");
    const size_t n = ax.size();
    std::vector<AxisResize> out;
    for (int64_t d : in) out.push_back(AxisResize{d, d, 1.0, static_cast<double>(d)});
    if (!args.scales.empty()) {
      if (args.scales.size() != n)
        fail_invalid("Resize: " + std::to_string(args.scales.size()) + " scales for " + std::to_string(n) + " axes");
      for (size_t i = 0; i < n; ++i) {
        AxisResize& a = out[static_cast<size_t>(ax[i])];
        if (!(args.scales[i] > 0)) fail_invalid("Resize: scales must be positive");
        a.scale = args.scales[i];
        a.length = a.scale * static_cast<double>(a.in);
        a.out = a.in < 0 ? -1 : resized_length(a.length, "Resize");
      }
      return out;
    }
    if (args.sizes.size() != n)
      fail_invalid("Resize: needs scales or sizes with one value per axis (" + std::to_string(n) + ")");
    bool all_known = true;
    for (size_t i = 0; i < n; ++i) {
      if (args.sizes[i] < 0) fail_invalid("Resize: sizes must not be negative");
      AxisResize& a = out[static_cast<size_t>(ax[i])];
      all_known = all_known && a.in >= 0;
      a.out = args.sizes[i];
      a.length = static_cast<double>(a.out);
      a.scale = a.in > 0 ? static_cast<double>(a.out) / static_cast<double>(a.in) : 1.0;
    }
    if (policy == "stretch") return out;
    if (!all_known) {  // the common scale depends on every input dim
      for (int64_t d : ax) out[static_cast<size_t>(d)] = AxisResize{-1, -1, 0.0, 0.0};
      return out;
    }
    double s = out[static_cast<size_t>(ax[0])].scale;
    for (int64_t d : ax)
      s = policy == "not_larger" ? std::min(s, out[static_cast<size_t>(d)].scale)
                                 : std::max(s, out[static_cast<size_t>(d)].scale);
    for (int64_t d : ax) {
      AxisResize& a = out[static_cast<size_t>(d)];
      a.scale = s;
      a.length = s * static_cast<double>(a.in);
      a.out = resized_length(a.length + 0.5, "Resize");  // round half up
    }
    return out;
  }

  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    Resize r(node, /*plan_only=*/true);
    if (!known_args(node, ctx, r.args)) return ctx.set_output(0, x.dtype, std::vector<int64_t>(x.dims.size(), -1));
    std::vector<int64_t> dims;
    for (const AxisResize& a : r.plan(x.dims)) dims.push_back(a.out);
    ctx.set_output(0, x.dtype, dims);
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    resample(constants.data(ctx, 0), x, y, plan(x.shape()), mode, "Resize", static_cast<cudaStream_t>(ctx.stream()));
  }

  int opset;
  ResampleMode mode;
  std::vector<int64_t> axes;
  std::string policy = "stretch";
  ResizeArgs args;
  ConstantInputs constants;  // the data, when it is an initializer

 private:
  // For check and inference: the attributes plan() needs, nothing uploaded; the caller sets `args`.
  Resize(const Node& node, bool /*plan_only*/) : opset(node.opset()) {
    if (opset >= 18) {
      axes = node.attr_ints("axes", {});
      policy = node.attr_string("keep_aspect_ratio_policy", "stretch");
    }
  }
};

// ---- Upsample

struct Upsample {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.Upsample";
    s.op_type = "Upsample";
    s.opset_min = 7;
    s.opset_max = 9;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {io_layouts(kMovableDtypes, kAnyLayout), io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32), KILN_IO_OPTIONAL)};
    s.outputs = {io_layouts(kMovableDtypes, kAnyLayout)};
    return s;
  }

  static std::string check(const Node& node) {
    bool linear = false;
    const std::string why = parse_kind(node.attr_string("mode", "nearest"), linear);
    if (!why.empty()) return why;
    if (node.opset() >= 9 && (!node.has_input(1) || !known_or_absent(node, 1))) return "scales must be constant";
    const ValueInfo x = node.input(0);
    if (!x.has_rank) return linear ? "linear mode needs the input's rank known" : "";
    return resample_limits(x, linear, plan(x.dims, scales_of(node)));
  }

  explicit Upsample(const Node& node) : scales(scales_of(node)), constants(node, {0}) {
    const std::string why = parse_kind(node.attr_string("mode", "nearest"), mode.linear);
    if (!why.empty()) fail_unsupported("Upsample: " + why);
  }

  static std::vector<double> scales_of(const Node& node) {
    if (node.opset() < 9) {
      const std::vector<float> s = node.attr_floats("scales");
      return std::vector<double>(s.begin(), s.end());
    }
    if (!node.has_input(1)) fail_invalid("Upsample: the scales input is required from opset 9");
    return float_values(node.input(1));
  }

  static std::vector<AxisResize> plan(const std::vector<int64_t>& in, const std::vector<double>& scales) {
    if (scales.size() != in.size())
      fail_invalid("Upsample: " + std::to_string(scales.size()) + " scales for rank " + std::to_string(in.size()));
    std::vector<AxisResize> out;
    for (size_t d = 0; d < in.size(); ++d) {
      if (!(scales[d] >= 1)) fail_invalid("Upsample: scales must be >= 1");
      AxisResize a{in[d], -1, scales[d], scales[d] * static_cast<double>(in[d])};
      if (a.in >= 0) a.out = resized_length(a.length, "Upsample");
      out.push_back(a);
    }
    return out;
  }

  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    std::vector<double> scales;
    if (node.opset() < 9) {
      scales = scales_of(node);
    } else {
      const ValueInfo s = ctx.has_input(1) ? ctx.input(1) : ValueInfo{};
      if (!s.data || !s.shape_known()) return ctx.set_output(0, x.dtype, std::vector<int64_t>(x.dims.size(), -1));
      scales = float_values(s);
    }
    std::vector<int64_t> dims;
    for (const AxisResize& a : plan(x.dims, scales)) dims.push_back(a.out);
    ctx.set_output(0, x.dtype, dims);
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    resample(constants.data(ctx, 0), x, y, plan(x.shape(), scales), mode, "Upsample",
             static_cast<cudaStream_t>(ctx.stream()));
  }

  std::vector<double> scales;
  ResampleMode mode;         // asymmetric coordinates, "simple" nearest rounding: the defaults
  ConstantInputs constants;  // the data, when it is an initializer
};

}  // namespace

const kiln_kernel_desc* resize_kernel() { return describe<Resize>(); }
const kiln_kernel_desc* upsample_kernel() { return describe<Upsample>(); }

}  // namespace kiln::cuda
