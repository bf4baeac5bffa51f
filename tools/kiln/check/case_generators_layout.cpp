// Case generators for ops that rearrange or make tensors from shapes and scalars: DepthToSpace,
// SpaceToDepth, Trilu, EyeLike, OneHot, Range, Shape, Size, ConstantOfShape and Constant.
#include <cmath>
#include <vector>

#include "case_generators.hpp"
#include "ir/element_values.hpp"

namespace kiln::check {

namespace {

const uint64_t kAny = kNumbers | KILN_DTYPE_BIT(KILN_DTYPE_BOOL);

Tensor scalar(DataType dtype, double value) {
  Tensor t(dtype, {});
  set_element(t, 0, value);
  return t;
}

// DepthToSpace (channels a multiple of blocksize^2; DCR or CRD) and SpaceToDepth (height and width multiples of
// blocksize).
Case block_rearrange(CaseContext& ctx, const std::string& op_type) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  const bool to_space = op_type == "DepthToSpace";
  const int64_t block = d.integer(1, 3), spread = to_space ? 1 : block;
  const int64_t channels = d.integer(1, 3) * (to_space ? block * block : 1);
  Case c = ctx.make(op_type);
  c.input("input", ctx.random(t, {d.integer(1, 2), channels, d.integer(1, 4) * spread, d.integer(1, 4) * spread}));
  c.attr("blocksize", int_attr(block));
  if (to_space && d.chance(0.5)) c.attr("mode", string_attr(d.chance(0.5) ? "CRD" : "DCR"));
  return c;
}

// k beyond the matrix too (everything or nothing kept).
Case trilu(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = ctx.maybe_empty(d.dims(static_cast<int>(d.integer(2, 4)), 1, 5));
  Case c = ctx.make("Trilu");
  c.input("input", ctx.random(t, x));
  if (d.chance(0.7)) c.constant("k", scalar(KILN_DTYPE_INT64, static_cast<double>(d.integer(-6, 6))));
  if (d.chance(0.5)) c.attr("upper", int_attr(0));
  return c;
}

Case eye_like(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  Case c = ctx.make("EyeLike");
  c.input("input", ctx.random(t, ctx.maybe_empty(d.dims(2, 1, 6))));
  if (d.chance(0.6)) c.attr("k", int_attr(d.integer(-6, 6)));
  return c;
}

// Indices in [-depth, depth) and a few outside it, whose rows are all "off"; whole numbers in every dtype.
Case one_hot(CaseContext& ctx, const std::string&) {
  const DataType index_type = ctx.dtype({0}, kNumbers, false), depth_type = ctx.dtype({1}, kNumbers, false);
  const DataType t = ctx.dtype({2}, kAny);
  Draw& d = ctx.draw();
  const int64_t depth = d.integer(1, 6);
  const std::vector<int64_t> x = ctx.maybe_empty(d.dims(static_cast<int>(d.integer(0, 3)), 1, 4));
  const auto rank = static_cast<int64_t>(x.size());
  Case c = ctx.make("OneHot");
  Tensor indices = ctx.random(index_type, x, -static_cast<double>(depth) - 1, static_cast<double>(depth));
  for (int64_t i = 0; i < indices.numel(); ++i)  // whole numbers in float indices too: packs truncate alike then
    set_element(indices, i, std::floor(element_at(indices, i)));
  c.input("indices", indices);
  c.constant("depth", scalar(depth_type, static_cast<double>(depth)));
  c.constant("values", ctx.random(t, {2}));
  if (d.chance(0.6)) c.attr("axis", int_attr(d.integer(-rank - 1, rank)));
  return c;
}

// start + k * delta for n values: the limit lies half a step past the last, so the count is never a tie.
Case range(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0, 1, 2}, KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT64) |
                                              KILN_DTYPE_BIT(KILN_DTYPE_INT32) | KILN_DTYPE_BIT(KILN_DTYPE_INT64) |
                                              KILN_DTYPE_BIT(KILN_DTYPE_INT16));
  Draw& d = ctx.draw();
  const bool real = is_real(t);
  const double start = static_cast<double>(d.integer(-5, 5));
  const double delta = d.pick(real ? std::vector<double>{0.5, 1, 1.5, -1, -0.25} : std::vector<double>{1, 2, 3, -1, -2});
  const auto n = static_cast<double>(ctx.empty_edge() ? 0 : d.integer(1, 8));
  const double limit = real ? start + delta * (n - 0.5) : start + delta * n - (delta > 0 ? 1 : -1);
  Case c = ctx.make("Range");
  c.constant("start", scalar(t, start)).constant("limit", scalar(t, limit)).constant("delta", scalar(t, delta));
  return c;
}

Case shape(CaseContext& ctx, const std::string& op_type) {
  const DataType t = ctx.dtype({0}, kAny, false);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = ctx.maybe_empty(d.dims(static_cast<int>(d.integer(0, 4)), 1, 5));
  const auto rank = static_cast<int64_t>(x.size());
  Case c = ctx.make(op_type);
  c.input("data", ctx.random(t, x));
  if (op_type == "Shape" && ctx.opset() >= 15 && d.chance(0.3)) c.attr("start", int_attr(d.integer(-rank - 1, rank)));
  if (op_type == "Shape" && ctx.opset() >= 15 && d.chance(0.3)) c.attr("end", int_attr(d.integer(-rank - 1, rank + 1)));
  return c;
}

// A constant shape (a 0 among its dims in an edge case) and, most of the time, a one-element `value` tensor of
// a dtype both kernels write (without one: float32 zeros).
Case constant_of_shape(CaseContext& ctx, const std::string&) {
  Draw& d = ctx.draw();
  Case c = ctx.make("ConstantOfShape");
  c.constant("input", ctx.indices(0, ctx.maybe_empty(d.dims(static_cast<int>(d.integer(0, 3)), 1, 5))));
  if (d.chance(0.8)) {
    Attribute value;
    value.kind = KILN_ATTR_TENSOR;
    value.tensor = ctx.random(ctx.dtype({}, kAny, true), {1}, -5, 5);
    c.attr("value", value);
  }
  return c;
}

// Constant from each of its attribute forms: a tensor of a dtype both kernels write, or a float, int, floats
// or ints value.
Case constant(CaseContext& ctx, const std::string&) {
  Draw& d = ctx.draw();
  Case c = ctx.make("Constant");
  const std::vector<int64_t> dims = ctx.maybe_empty(d.dims(static_cast<int>(d.integer(0, 3)), 1, 4));
  switch (d.integer(0, 4)) {
    case 0: c.attr("value_float", float_attr(static_cast<float>(d.real(-2, 2)))); break;
    case 1: c.attr("value_int", int_attr(d.integer(-50, 50))); break;
    case 2: c.attr("value_floats", floats_attr({static_cast<float>(d.real(-2, 2)), static_cast<float>(d.real(-2, 2))})); break;
    case 3: c.attr("value_ints", ints_attr(d.dims(3, -9, 9))); break;
    default: {
      Attribute value;
      value.kind = KILN_ATTR_TENSOR;
      value.tensor = ctx.random(ctx.dtype({}, kAny, true), dims, -5, 5);
      c.attr("value", value);
    }
  }
  return c;
}

}  // namespace

std::vector<CaseGenerator> layout_generators() {
  return {
      {"", "DepthToSpace", 13, 22, &block_rearrange}, {"", "SpaceToDepth", 13, 22, &block_rearrange},
      {"", "Trilu", 14, 22, &trilu},                   {"", "EyeLike", 9, 22, &eye_like},
      {"", "OneHot", 11, 22, &one_hot},                {"", "Range", 11, 22, &range},
      {"", "Shape", 13, 22, &shape},                   {"", "Size", 13, 22, &shape},
      {"", "ConstantOfShape", 9, 22, &constant_of_shape}, {"", "Constant", 13, 22, &constant},
  };
}

}  // namespace kiln::check
