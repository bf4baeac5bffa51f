// Case generators for the normalizations that have no learned per-channel affine of BatchNormalization's kind:
// LpNormalization, MeanVarianceNormalization, LRN and GroupNormalization. (BatchNormalization, Layer-, RMS-
// and InstanceNormalization are in case_generators_nn.cpp.)
#include "case_generators.hpp"

namespace kiln::check {

namespace {

Case lp_norm(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kFloats);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(1, 4)), 1, 5);
  const auto rank = static_cast<int64_t>(x.size());
  Case c = ctx.make("LpNormalization");
  c.input("input", ctx.random(t, x, -3, 3));
  if (d.chance(0.7)) c.attr("axis", int_attr(d.integer(-rank, rank - 1)));
  if (d.chance(0.5)) c.attr("p", int_attr(1));
  return c;
}

// Axes a non-empty subset of a 4-D input's, in order (the default is [0, 2, 3]).
Case mean_variance_norm(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kFloats);
  Draw& d = ctx.draw();
  std::vector<int64_t> axes;
  for (int64_t a = 0; a < 4; ++a)
    if (d.chance(0.5)) axes.push_back(a);
  Case c = ctx.make("MeanVarianceNormalization");
  c.input("X", ctx.random(t, d.dims(4, 2, 4), -3, 3));  // 2 or more values per mean, so the variance is not 0
  if (!axes.empty() && d.chance(0.7)) c.attr("axes", ints_attr(axes));
  return c;
}

Case lrn(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kFloats);
  Draw& d = ctx.draw();
  Case c = ctx.make("LRN");
  c.input("X", ctx.random(t, ctx.maybe_empty(d.dims(4, 1, 5)), -3, 3));
  c.attr("size", int_attr(d.pick(std::vector<int64_t>{1, 3, 5})));
  if (d.chance(0.5)) c.attr("alpha", float_attr(static_cast<float>(d.real(1e-4, 0.1))));
  if (d.chance(0.5)) c.attr("beta", float_attr(static_cast<float>(d.real(0.5, 1))));
  if (d.chance(0.5)) c.attr("bias", float_attr(static_cast<float>(d.real(1, 2))));
  return c;
}

// num_groups dividing the channels; scale and bias per group before opset 21, per channel from it.
Case group_norm(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0, 1, 2}, kFloats);
  Draw& d = ctx.draw();
  const int64_t groups = d.integer(1, 3), channels = groups * d.integer(1, 3);
  std::vector<int64_t> x = {d.integer(1, 2), channels};
  for (int64_t k = d.integer(1, 2); k > 0; --k) x.push_back(d.integer(2, 5));
  const std::vector<int64_t> affine = {ctx.opset() >= 21 ? channels : groups};
  Case c = ctx.make("GroupNormalization");
  c.input("X", ctx.random(t, x, -3, 3));
  c.constant("scale", ctx.random(t, affine, 0.5, 1.5));
  c.constant("bias", ctx.random(t, affine));
  c.attr("num_groups", int_attr(groups));
  if (d.chance(0.5)) c.attr("epsilon", float_attr(static_cast<float>(d.real(1e-5, 1e-2))));
  return c;
}

}  // namespace

std::vector<CaseGenerator> normalization_generators() {
  return {
      {"", "LpNormalization", 1, 22, &lp_norm, 2},
      {"", "MeanVarianceNormalization", 13, 22, &mean_variance_norm, 4},
      {"", "LRN", 13, 22, &lrn, 4},
      {"", "GroupNormalization", 18, 22, &group_norm, 4},
  };
}

}  // namespace kiln::check
