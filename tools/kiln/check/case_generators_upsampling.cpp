// Case generators for ops that grow (or resample) spatial dims: ConvTranspose, Resize and Upsample.
#include <algorithm>
#include <cmath>

#include "case_generators.hpp"

namespace kiln::check {

namespace {

// Explicit pads, output_padding (below the stride, as ONNX requires) or auto_pad; pads stay within the
// dilated kernel's reach, so every output dim is at least 1.
void conv_transpose_geometry(Case& c, Draw& d, const std::vector<int64_t>& kernel, const std::vector<int64_t>& strides,
                             const std::vector<int64_t>& dilations) {
  const size_t spatial = kernel.size();
  if (d.chance(0.2)) {
    c.attr("auto_pad", string_attr(d.chance(0.5) ? "SAME_UPPER" : "SAME_LOWER"));
    return;
  }
  std::vector<int64_t> pads(2 * spatial), adjust(spatial);
  for (size_t k = 0; k < 2 * spatial; ++k) pads[k] = d.integer(0, (kernel[k % spatial] - 1) * dilations[k % spatial] / 2);
  for (size_t k = 0; k < spatial; ++k) adjust[k] = d.integer(0, strides[k] - 1);
  if (d.chance(0.7)) c.attr("pads", ints_attr(pads));
  if (d.chance(0.4)) c.attr("output_padding", ints_attr(adjust));
}

Case conv_transpose(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0, 1}, kFloats);
  Draw& d = ctx.draw();
  const int spatial = d.chance(0.75) ? 2 : 1;
  const int64_t group = d.pick(std::vector<int64_t>{1, 1, 2});
  const int64_t per_group_in = d.integer(1, 3), per_group_out = d.integer(1, 3);
  const std::vector<int64_t> kernel = d.dims(spatial, 1, 3), strides = d.dims(spatial, 1, 3);
  const std::vector<int64_t> dilations = d.dims(spatial, 1, 2);
  std::vector<int64_t> x = {ctx.empty_edge() ? 0 : d.integer(1, 2), group * per_group_in};
  for (int k = 0; k < spatial; ++k) x.push_back(d.integer(1, 5));
  std::vector<int64_t> w = {group * per_group_in, per_group_out};  // [C, M / group, k...]
  w.insert(w.end(), kernel.begin(), kernel.end());
  int64_t fan_in = per_group_in;
  for (int64_t k : kernel) fan_in *= k;
  const double bound = std::sqrt(3.0 / static_cast<double>(fan_in));

  Case c = ctx.make("ConvTranspose");
  c.input("X", ctx.random(t, x));
  c.constant("W", ctx.random(t, w, -bound, bound));
  if (d.chance(0.6)) c.constant("B", ctx.random(t, {group * per_group_out}));
  c.attr("kernel_shape", ints_attr(kernel)).attr("strides", ints_attr(strides)).attr("dilations", ints_attr(dilations));
  if (group > 1) c.attr("group", int_attr(group));
  conv_transpose_geometry(c, d, kernel, strides, dilations);
  return c;
}

// Resize of a 4-D (or 3-D) image over its spatial dims, to scales or to sizes (roi omitted, N and C kept).
// Nearest moves any dtype; linear and cubic interpolate floats.
Case resize(CaseContext& ctx, const std::string&) {
  Draw& d = ctx.draw();
  const std::string mode = d.pick(std::vector<std::string>{"nearest", "linear", "cubic"});
  const DataType t = ctx.dtype({0}, mode == "nearest" ? kNumbers : kFloats);
  std::vector<int64_t> x = {d.integer(1, 2), d.integer(1, 3)};
  for (int64_t k = d.integer(1, 2); k > 0; --k) x.push_back(d.integer(1, 5));
  const std::vector<double> choices = {0.5, 0.75, 1.0, 1.5, 2.0, 3.0};
  Case c = ctx.make("Resize");
  c.input("X", ctx.random(t, x));
  c.omitted("roi");
  std::vector<double> scales = {1, 1};
  std::vector<int64_t> sizes = {x[0], x[1]};
  for (size_t k = 2; k < x.size(); ++k) {
    scales.push_back(d.pick(choices));
    sizes.push_back(std::max<int64_t>(1, d.integer(x[k] / 2, 2 * x[k] + 1)));
  }
  if (d.chance(0.5)) {
    Tensor s(KILN_DTYPE_FLOAT32, {static_cast<int64_t>(scales.size())});
    for (size_t i = 0; i < scales.size(); ++i) s.as<float>()[i] = static_cast<float>(scales[i]);
    c.constant("scales", s);
  } else {
    c.omitted("scales");
    c.constant("sizes", ctx.indices(3, sizes));
  }
  c.attr("mode", string_attr(mode));
  c.attr("coordinate_transformation_mode",
         string_attr(d.pick(std::vector<std::string>{"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"})));
  if (mode == "nearest")
    c.attr("nearest_mode", string_attr(d.pick(std::vector<std::string>{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"})));
  if (mode == "cubic" && d.chance(0.5)) c.attr("cubic_coeff_a", float_attr(-0.5f));
  if (mode == "cubic" && d.chance(0.3)) c.attr("exclude_outside", int_attr(1));
  return c;
}

// Upsample (opsets 7-9, deprecated for Resize): whole-number or fractional scales of 1 or more on the spatial
// dims, as an attribute before opset 9 and a constant input from it.
Case upsample(CaseContext& ctx, const std::string&) {
  Draw& d = ctx.draw();
  const std::string mode = d.chance(0.5) ? "nearest" : "linear";
  const DataType t = ctx.dtype({0}, mode == "nearest" ? kNumbers : kFloats);
  std::vector<int64_t> x = {d.integer(1, 2), d.integer(1, 3)};
  for (int64_t k = d.integer(1, 2); k > 0; --k) x.push_back(d.integer(1, 4));
  std::vector<float> scales = {1, 1};
  for (size_t k = 2; k < x.size(); ++k) scales.push_back(d.pick(std::vector<float>{1, 1.5f, 2, 3}));
  Case c = ctx.make("Upsample");
  c.input("X", ctx.random(t, x));
  if (ctx.opset() >= 9) {
    Tensor s(KILN_DTYPE_FLOAT32, {static_cast<int64_t>(scales.size())});
    for (size_t i = 0; i < scales.size(); ++i) s.as<float>()[i] = scales[i];
    c.constant("scales", s);
  } else {
    c.attr("scales", floats_attr(scales));
  }
  c.attr("mode", string_attr(mode));
  return c;
}

}  // namespace

std::vector<CaseGenerator> upsampling_generators() {
  return {
      {"", "ConvTranspose", 11, 22, &conv_transpose, 4},
      {"", "Resize", 13, 22, &resize, 4},
      {"", "Upsample", 7, 9, &upsample, 4},
  };
}

}  // namespace kiln::check
