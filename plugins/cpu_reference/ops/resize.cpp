// Resize: nearest / (n-)linear / (n-)cubic resampling to sizes or by scales (common/resample.hpp does the
// sampling). Opset 10 takes only scales, with asymmetric coordinates; 11 adds roi, sizes and the coordinate,
// nearest and cubic attributes; 18 adds axes, keep_aspect_ratio_policy and antialias; 19 half_pixel_symmetric.
// Output dims are floor(input * scale) (as the reference and onnxruntime compute them, roi aside), or the sizes
// (rescaled by one common factor and rounded half up when keep_aspect_ratio_policy is not "stretch").
#include <cmath>

#include "common/resample.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr uint64_t kFloatTypes = FloatTypes::mask;

// A float tensor's contents as doubles (scales, roi).
std::vector<double> float_values(kiln_dtype dtype, const void* data, int64_t count, const char* what) {
  std::vector<double> out;
  FloatTypes::dispatch(dtype, what, [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < count; ++i) out.push_back(to_double(static_cast<const T*>(data)[i]));
  });
  return out;
}

// Where the scales, sizes and roi come from for one call.
struct ResizeArgs {
  std::vector<double> scales, roi;
  std::vector<int64_t> sizes;
};

struct Resize {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Resize";
    s.op_type = "Resize";
    s.opset_min = 10;
    s.inputs = {io(kEveryDtype), io(kFloatTypes, KILN_IO_OPTIONAL), io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32), KILN_IO_OPTIONAL),
                io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL)};
    s.outputs = {io(kEveryDtype)};
    return s;
  }

  explicit Resize(const Node& node) : opset(node.opset()) {
    mode.kind = parse_resample_kind(node.attr_string("mode", "nearest"), "Resize");
    if (opset < 11) {
      if (mode.kind == ResampleKind::Cubic) fail_invalid("Resize: cubic mode needs opset 11");
      mode.coordinate = "asymmetric";
      mode.nearest = "simple";
    } else {
      mode.coordinate = node.attr_string("coordinate_transformation_mode", "half_pixel");
      mode.nearest = node.attr_string("nearest_mode", "round_prefer_floor");
      mode.cubic_a = node.attr_float("cubic_coeff_a", -0.75f);
      mode.exclude_outside = node.attr_int("exclude_outside", 0) != 0;
      mode.extrapolation = node.attr_float("extrapolation_value", 0.0f);
    }
    if (opset >= 18) {
      mode.antialias = node.attr_int("antialias", 0) != 0 && mode.kind != ResampleKind::Nearest;
      axes = node.attr_ints("axes", {});
      policy = node.attr_string("keep_aspect_ratio_policy", "stretch");
      if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
        fail_invalid("Resize: unknown keep_aspect_ratio_policy '" + policy + "'");
    }
    check_resample_mode(mode, "Resize");
  }

  int scales_input() const { return opset < 11 ? 1 : 2; }

  // How every axis is resized, from the input dims and the arguments.
  std::vector<AxisResize> plan(const std::vector<int64_t>& in, const ResizeArgs& args) const {
    const int rank = static_cast<int>(in.size());
    std::vector<int64_t> ax = axes;
    if (ax.empty())
      for (int i = 0; i < rank; ++i) ax.push_back(i);
    for (int64_t& a : ax) a = normalize_axis(a, rank, "Resize");
    const size_t n = ax.size();
    std::vector<AxisResize> out(in.size());
    for (size_t d = 0; d < in.size(); ++d) out[d] = {in[d], in[d], 1.0, static_cast<double>(in[d]), 0.0, 1.0};
    if (!args.roi.empty()) {
      if (args.roi.size() != 2 * n) fail_invalid("Resize: roi has " + std::to_string(args.roi.size()) + " values for " + std::to_string(n) + " axes");
      for (size_t i = 0; i < n; ++i) out[ax[i]].roi_start = args.roi[i], out[ax[i]].roi_end = args.roi[n + i];
    }
    if (!args.scales.empty()) {
      if (args.scales.size() != n) fail_invalid("Resize: scales has " + std::to_string(args.scales.size()) + " values for " + std::to_string(n) + " axes");
      for (size_t i = 0; i < n; ++i) {
        AxisResize& a = out[ax[i]];
        if (!(args.scales[i] > 0)) fail_invalid("Resize: scales must be positive");
        a.scale = args.scales[i];
        a.length = a.scale * static_cast<double>(a.in);
        a.out = resized_length(a.length, "Resize");
      }
      return out;
    }
    if (args.sizes.size() != n) fail_invalid("Resize: needs scales or sizes with one value per axis (" + std::to_string(n) + ")");
    for (size_t i = 0; i < n; ++i) {
      if (args.sizes[i] < 0) fail_invalid("Resize: sizes must not be negative");
      AxisResize& a = out[ax[i]];
      a.out = args.sizes[i];
      a.length = static_cast<double>(a.out);
      a.scale = a.in > 0 ? static_cast<double>(a.out) / static_cast<double>(a.in) : 1.0;
    }
    if (policy != "stretch") {
      double s = out[ax[0]].scale;
      for (int64_t d : ax) s = policy == "not_larger" ? std::min(s, out[d].scale) : std::max(s, out[d].scale);
      for (int64_t d : ax) {
        AxisResize& a = out[d];
        a.scale = s;
        a.length = s * static_cast<double>(a.in);
        a.out = resized_length(a.length + 0.5, "Resize");  // round half up
      }
    }
    return out;
  }

  static std::vector<int64_t> out_dims(const std::vector<AxisResize>& axes) {
    std::vector<int64_t> dims;
    for (const AxisResize& a : axes) dims.push_back(a.out);
    return dims;
  }

  // The arguments from values known at inference, or false when some are not known yet.
  bool infer_args(InferContext& ctx, ResizeArgs& args) const {
    const int si = scales_input();
    if (ctx.has_input(si)) {
      const ValueInfo s = ctx.input(si);
      if (!s.data && !(s.shape_known() && s.numel() == 0)) return false;
      if (s.shape_known()) args.scales = float_values(s.dtype, s.data, s.numel(), "Resize scales");
    }
    if (args.scales.empty() && opset >= 11 && !known_ints(ctx, 3, args.sizes)) return false;
    return true;
  }

  static void infer(const Node& node, InferContext& ctx) {
    const Resize r(node);
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    ResizeArgs args;
    if (!x.shape_known() || !r.infer_args(ctx, args)) return ctx.set_output(0, x.dtype, std::vector<int64_t>(x.dims.size(), -1));
    ctx.set_output(0, x.dtype, out_dims(r.plan(x.dims, args)));
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    ResizeArgs args;
    const int si = scales_input();
    if (ctx.has_input(si)) {
      const Tensor s = ctx.input(si);
      args.scales = float_values(s.dtype(), s.raw(), s.numel(), "Resize scales");
    }
    if (opset >= 11 && args.scales.empty() && ctx.has_input(3)) args.sizes = ctx.input(3).int_values();
    if (opset >= 11 && mode.coordinate == "tf_crop_and_resize" && ctx.has_input(1)) {
      const Tensor roi = ctx.input(1);
      args.roi = float_values(roi.dtype(), roi.raw(), roi.numel(), "Resize roi");
    }
    const std::vector<AxisResize> p = plan(x.shape(), args);
    if (!y.present() || y.numel() == 0) return;
    if (out_dims(p) != y.shape()) fail_invalid("Resize: output shape differs from the inferred one");
    Resampler(mode, p).run(x, y);
  }

  int opset;
  ResampleMode mode;
  std::vector<int64_t> axes;
  std::string policy = "stretch";
};

}  // namespace

const kiln_kernel_desc* resize_kernel() { return describe<Resize>(); }

}  // namespace kiln::cpu_ref
