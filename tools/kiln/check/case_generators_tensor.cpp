// Case generators for data movement and shape ops: Concat, Transpose, Reshape, Flatten, Squeeze, Unsqueeze,
// Slice, Gather, Pad, Cast, CastLike, Expand, Tile, Split, Identity, Compress, ReverseSequence and Dropout (at
// inference, an identity).
#include <algorithm>

#include "case_generators.hpp"

namespace kiln::check {

namespace {

const uint64_t kAny = kNumbers | KILN_DTYPE_BIT(KILN_DTYPE_BOOL);

std::vector<int64_t> random_dims(CaseContext& ctx, int min_rank, int max_rank, int64_t hi = 5) {
  return ctx.maybe_empty(ctx.draw().dims(static_cast<int>(ctx.draw().integer(min_rank, max_rank)), 1, hi));
}

int64_t random_axis(Draw& d, int64_t rank) { return d.integer(-rank, rank - 1); }

Case concat(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  const std::vector<int64_t> base = d.dims(static_cast<int>(d.integer(1, 4)), 1, 4);
  const auto rank = static_cast<int64_t>(base.size());
  const int64_t axis = random_axis(d, rank);
  const size_t along = static_cast<size_t>(axis < 0 ? axis + rank : axis);
  const int64_t count = d.integer(1, 4);
  Case c = ctx.make("Concat");
  for (int64_t i = 0; i < count; ++i) {
    std::vector<int64_t> dims = base;
    dims[along] = ctx.empty_edge() && i == 0 ? 0 : d.integer(1, 4);
    c.input("input" + std::to_string(i), ctx.random(t, dims));
  }
  c.attr("axis", int_attr(axis));
  return c;
}

Case transpose(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  const std::vector<int64_t> x = random_dims(ctx, 1, 5, 4);
  Case c = ctx.make("Transpose");
  c.input("data", ctx.random(t, x));
  if (ctx.draw().chance(0.8)) c.attr("perm", ints_attr(ctx.draw().permutation(static_cast<int>(x.size()))));
  return c;
}

// A shape with x's element count: x's dims regrouped, with a 0 (copy the input's dim) or a -1 (inferred) in
// places where ONNX allows them. With an empty x neither is used: the shape's 0s are then literal (allowzero).
std::vector<int64_t> regroup(Draw& d, const std::vector<int64_t>& x, bool literal_zeros) {
  std::vector<int64_t> shape;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!shape.empty() && d.chance(0.4)) shape.back() *= x[i];
    else shape.push_back(x[i]);
  }
  if (literal_zeros) return shape;
  for (size_t i = 0; i < shape.size() && i < x.size(); ++i)
    if (shape[i] == x[i] && d.chance(0.2)) shape[i] = 0;
  if (d.chance(0.4)) shape[static_cast<size_t>(d.integer(0, static_cast<int64_t>(shape.size()) - 1))] = -1;
  return shape;
}

Case reshape(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  const std::vector<int64_t> x = random_dims(ctx, 1, 4);
  const bool empty = std::count(x.begin(), x.end(), 0) > 0;
  Case c = ctx.make("Reshape");
  c.input("data", ctx.random(t, x));
  c.constant("shape", ctx.indices(1, regroup(ctx.draw(), x, empty)));
  if (empty) c.attr("allowzero", int_attr(1));
  return c;
}

Case flatten(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  const std::vector<int64_t> x = random_dims(ctx, 1, 4);
  const auto rank = static_cast<int64_t>(x.size());
  Case c = ctx.make("Flatten");
  c.input("input", ctx.random(t, x));
  c.attr("axis", int_attr(ctx.draw().integer(-rank, rank)));
  return c;
}

Case squeeze(CaseContext& ctx, const std::string& op_type) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  std::vector<int64_t> x = random_dims(ctx, 1, 4);
  std::vector<int64_t> axes;
  if (op_type == "Squeeze") {
    for (size_t i = 0; i < x.size(); ++i)
      if (d.chance(0.4)) x[i] = 1, axes.push_back(static_cast<int64_t>(i));
  } else {
    const auto out_rank = static_cast<int64_t>(x.size()) + d.integer(1, 2);
    for (int64_t a : d.permutation(static_cast<int>(out_rank)))
      if (axes.size() < static_cast<size_t>(out_rank) - x.size()) axes.push_back(d.chance(0.3) ? a - out_rank : a);
  }
  Case c = ctx.make(op_type);
  c.input("data", ctx.random(t, x));
  if (!axes.empty()) c.constant("axes", ctx.indices(1, axes));
  else if (op_type == "Unsqueeze") c.constant("axes", ctx.indices(1, {0}));
  return c;
}

Case slice(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = random_dims(ctx, 1, 4, 6);
  std::vector<int64_t> starts, ends, axes, steps;
  for (size_t a = 0; a < x.size(); ++a) {
    if (!d.chance(0.6)) continue;
    const int64_t n = x[a];
    const int64_t step = d.pick(std::vector<int64_t>{1, 1, 2, -1});
    int64_t start = d.integer(-n - 1, n + 1), end = d.integer(-n - 1, n + 1);
    if (d.chance(0.1)) end = step > 0 ? 1000000 : -1000000;  // "to the end", as exporters write it
    const auto axis = static_cast<int64_t>(a);
    starts.push_back(start), ends.push_back(end), steps.push_back(step);
    axes.push_back(d.chance(0.3) ? axis - static_cast<int64_t>(x.size()) : axis);
  }
  if (axes.empty()) starts = {0}, ends = {x[0]}, axes = {0}, steps = {1};
  Case c = ctx.make("Slice");
  c.input("data", ctx.random(t, x));
  c.constant("starts", ctx.indices(1, starts)).constant("ends", ctx.indices(2, ends));
  c.constant("axes", ctx.indices(3, axes)).constant("steps", ctx.indices(4, steps));
  return c;
}

Case gather(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(1, 3)), 1, 5);
  const auto rank = static_cast<int64_t>(x.size());
  const int64_t axis = random_axis(d, rank);
  const int64_t n = x[static_cast<size_t>(axis < 0 ? axis + rank : axis)];
  const DataType index_type = ctx.dtype({1}, kIndices, false);
  Case c = ctx.make("Gather");
  c.input("data", ctx.random(t, x));
  const Tensor indices =
      ctx.random(index_type, ctx.maybe_empty(d.dims(static_cast<int>(d.integer(0, 2)), 1, 4)), -n, n - 1);
  if (d.chance(0.5)) c.constant("indices", indices);
  else c.input("indices", indices);
  c.attr("axis", int_attr(axis));
  return c;
}

Case pad(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kNumbers);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = random_dims(ctx, 1, 4);
  std::vector<int64_t> pads(2 * x.size());
  const std::string mode = d.pick(std::vector<std::string>{"constant", "constant", "reflect", "edge"});
  for (size_t i = 0; i < pads.size(); ++i) {
    const int64_t dim = x[i % x.size()];
    // reflect needs pads smaller than the dim; edge a non-empty dim; constant may also crop (negative pads).
    pads[i] = mode == "reflect" ? d.integer(0, std::max<int64_t>(dim - 1, 0))
              : mode == "edge"  ? d.integer(0, dim > 0 ? 2 : 0)
                                : d.integer(-std::min<int64_t>(dim / 2, 1), 2);
  }
  Case c = ctx.make("Pad");
  c.input("data", ctx.random(t, x));
  c.constant("pads", ctx.indices(1, pads));
  if (mode == "constant" && d.chance(0.5)) c.constant("constant_value", ctx.random(t, {}, -1, 1));
  c.attr("mode", string_attr(mode));
  return c;
}

// Cast, and CastLike (the target dtype is that of its second input).
Case cast(CaseContext& ctx, const std::string& op_type) {
  const DataType from = ctx.dtype({0}, kNumbers | KILN_DTYPE_BIT(KILN_DTYPE_BOOL), false);
  // The target is a dtype both kernels produce; values stay where every target type holds them exactly.
  const DataType to = ctx.dtype({}, kNumbers | KILN_DTYPE_BIT(KILN_DTYPE_BOOL), true);
  Case c = ctx.make(op_type);
  c.input("input", ctx.random(from, random_dims(ctx, 0, 4), 0, 100));
  if (op_type == "CastLike") c.input("target_type", ctx.random(to, {1}, 0, 1));
  else c.attr("to", int_attr(to));
  return c;
}

// Compress along an axis or over the flattened input, by a constant condition no longer than what it selects
// from (missing entries count as false).
Case compress(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = random_dims(ctx, 1, 3);
  const auto rank = static_cast<int64_t>(x.size());
  const bool along_axis = d.chance(0.7);
  const int64_t axis = random_axis(d, rank);
  int64_t extent = 1;
  for (int64_t n : x) extent *= n;
  if (along_axis) extent = x[static_cast<size_t>(axis < 0 ? axis + rank : axis)];
  Case c = ctx.make("Compress");
  c.input("input", ctx.random(t, x));
  c.constant("condition", ctx.random(KILN_DTYPE_BOOL, {d.integer(0, extent)}, 0, 1));
  if (along_axis) c.attr("axis", int_attr(axis));
  return c;
}

// Batch and time axes 0 and 1 either way round; every sequence length within the time axis.
Case reverse_sequence(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(2, 4)), 1, 5);
  const bool batch_first = d.chance(0.5);
  const int64_t batch = x[batch_first ? 0 : 1], time = x[batch_first ? 1 : 0];
  Case c = ctx.make("ReverseSequence");
  c.input("input", ctx.random(t, x));
  c.input("sequence_lens", ctx.random(KILN_DTYPE_INT64, {batch}, 1, static_cast<double>(time)));
  c.attr("batch_axis", int_attr(batch_first ? 0 : 1)).attr("time_axis", int_attr(batch_first ? 1 : 0));
  return c;
}

// Dropout at inference (no training_mode): the input itself, and a mask of all true when asked for.
Case dropout(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kFloats);
  Draw& d = ctx.draw();
  Case c = ctx.make("Dropout");
  c.input("data", ctx.random(t, random_dims(ctx, 0, 4)));
  if (d.chance(0.5)) c.constant("ratio", ctx.random(t, {}, 0.1, 0.7));
  if (d.chance(0.5)) c.num_outputs = 2;
  return c;
}

Case expand(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  const std::vector<int64_t> out = random_dims(ctx, 1, 4);
  std::vector<int64_t> x(out.begin() + d.integer(0, static_cast<int64_t>(out.size()) - 1), out.end());
  for (int64_t& v : x)
    if (d.chance(0.5)) v = 1;
  std::vector<int64_t> shape = out;
  for (size_t i = 0; i < shape.size(); ++i)  // a 1 in the shape keeps the input's dim
    if (d.chance(0.2) && i + x.size() >= shape.size()) shape[i] = 1;
  Case c = ctx.make("Expand");
  c.input("input", ctx.random(t, x));
  c.constant("shape", ctx.indices(1, shape));
  return c;
}

Case tile(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  const std::vector<int64_t> x = random_dims(ctx, 1, 4, 4);
  Case c = ctx.make("Tile");
  c.input("input", ctx.random(t, x));
  c.constant("repeats", ctx.indices(1, ctx.draw().dims(static_cast<int>(x.size()), 1, 3)));
  return c;
}

Case split(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(1, 4)), 1, 6);
  const auto rank = static_cast<int64_t>(x.size());
  const int64_t axis = random_axis(d, rank);
  const int64_t n = x[static_cast<size_t>(axis < 0 ? axis + rank : axis)];
  std::vector<int64_t> parts;  // sizes adding up to n, a 0 among them in an edge case
  for (int64_t left = n; left > 0;) parts.push_back(d.integer(1, left)), left -= parts.back();
  if (ctx.empty_edge()) parts.push_back(0);
  Case c = ctx.make("Split");
  c.input("input", ctx.random(t, x));
  c.constant("split", ctx.indices(1, parts));
  c.attr("axis", int_attr(axis));
  c.num_outputs = static_cast<int>(parts.size());
  return c;
}

Case identity(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  Case c = ctx.make("Identity");
  c.input("input", ctx.random(t, random_dims(ctx, 0, 4)));
  return c;
}

}  // namespace

std::vector<CaseGenerator> tensor_generators() {
  return {
      {"", "Concat", 13, 22, &concat},        {"", "Transpose", 13, 22, &transpose},
      {"", "Reshape", 14, 22, &reshape},      {"", "Flatten", 13, 22, &flatten},
      {"", "Squeeze", 13, 22, &squeeze},      {"", "Unsqueeze", 13, 22, &squeeze},
      {"", "Slice", 13, 22, &slice},          {"", "Gather", 13, 22, &gather},
      {"", "Pad", 13, 22, &pad},              {"", "Cast", 13, 22, &cast},
      {"", "Identity", 13, 22, &identity},    {"", "Expand", 13, 22, &expand},
      {"", "Tile", 13, 22, &tile},            {"", "Split", 13, 22, &split},
      {"", "CastLike", 15, 22, &cast},        {"", "Compress", 11, 22, &compress},
      {"", "ReverseSequence", 10, 22, &reverse_sequence}, {"", "Dropout", 13, 22, &dropout},
  };
}

}  // namespace kiln::check
