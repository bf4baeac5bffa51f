// Upsample (opsets 7-9; Resize replaced it): output dims floor(input * scale), scales an attribute (opset 7)
// or an input (opset 9); nearest or (n-)linear with asymmetric coordinates, x_original = x / scale, as
// onnxruntime does (for integer scales, nearest is numpy.repeat, as the ONNX reference has it).
#include <cmath>

#include "common/resample.hpp"

namespace kiln::cpu_ref {
namespace {

struct Upsample {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Upsample";
    s.op_type = "Upsample";
    s.opset_min = 7;
    s.opset_max = 9;
    s.inputs = {io(kEveryDtype), io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32), KILN_IO_OPTIONAL)};
    s.outputs = {io(kEveryDtype)};
    return s;
  }
  explicit Upsample(const Node& node) : opset(node.opset()) {
    mode.kind = parse_resample_kind(node.attr_string("mode", "nearest"), "Upsample");
    if (mode.kind == ResampleKind::Cubic) fail_invalid("Upsample: mode must be nearest or linear");
    mode.coordinate = "asymmetric";
    mode.nearest = "simple";
    if (opset < 9) attr_scales = node.attr_floats("scales");
  }

  static std::vector<AxisResize> plan(const std::vector<int64_t>& in, const std::vector<float>& scales) {
    if (scales.size() != in.size())
      fail_invalid("Upsample: scales has " + std::to_string(scales.size()) + " values for rank " + std::to_string(in.size()));
    std::vector<AxisResize> out;
    for (size_t d = 0; d < in.size(); ++d) {
      if (!(scales[d] >= 1)) fail_invalid("Upsample: scales must be >= 1");
      AxisResize a;
      a.in = in[d];
      a.scale = scales[d];
      a.length = a.scale * static_cast<double>(a.in);
      a.out = resized_length(a.length, "Upsample");
      out.push_back(a);
    }
    return out;
  }

  static void infer(const Node& node, InferContext& ctx) {
    const Upsample u(node);
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    std::vector<float> scales = u.attr_scales;
    if (u.opset >= 9) {
      const ValueInfo s = ctx.has_input(1) ? ctx.input(1) : ValueInfo{};
      if (!s.data || !s.shape_known()) return ctx.set_output(0, x.dtype, std::vector<int64_t>(x.dims.size(), -1));
      scales.assign(s.as<float>(), s.as<float>() + s.numel());
    }
    if (!x.shape_known()) return ctx.set_output(0, x.dtype, std::vector<int64_t>(x.dims.size(), -1));
    std::vector<int64_t> dims;
    for (const AxisResize& a : plan(x.dims, scales)) dims.push_back(a.out);
    ctx.set_output(0, x.dtype, dims);
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    std::vector<float> scales = attr_scales;
    if (opset >= 9) {
      if (!ctx.has_input(1)) fail_invalid("Upsample: the scales input is required from opset 9");
      const Tensor s = ctx.input(1);
      scales.assign(s.data<float>(), s.data<float>() + s.numel());
    }
    const std::vector<AxisResize> p = plan(x.shape(), scales);
    if (!y.present() || y.numel() == 0) return;
    Resampler(mode, p).run(x, y);
  }

  int opset;
  ResampleMode mode;
  std::vector<float> attr_scales;
};

}  // namespace

const kiln_kernel_desc* upsample_kernel() { return describe<Upsample>(); }

}  // namespace kiln::cpu_ref
