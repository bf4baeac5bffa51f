// Case generators for ops addressed by index tensors, along an axis, or giving indices: GatherElements,
// GatherND, ScatterElements, ScatterND, TopK, CumSum, NonZero and Unique. Scatters draw distinct target positions, so that reduction
// "none" has one right answer (ONNX leaves the order of duplicate writes open).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "case_generators.hpp"
#include "ir/element_values.hpp"

namespace kiln::check {

namespace {

const uint64_t kAny = kNumbers | KILN_DTYPE_BIT(KILN_DTYPE_BOOL);

Tensor index_tensor(DataType dtype, std::vector<int64_t> dims, const std::vector<int64_t>& values) {
  Tensor t(dtype, std::move(dims));
  for (size_t i = 0; i < values.size(); ++i) set_element(t, static_cast<int64_t>(i), static_cast<double>(values[i]));
  return t;
}

// An index into a dim of n, negative (counted from the end) a third of the time.
int64_t any_index(Draw& d, int64_t n) {
  const int64_t i = d.integer(0, n - 1);
  return d.chance(0.33) ? i - n : i;
}

// An axis of a tensor of `rank`, negative (counted from the end) half of the time.
int64_t random_axis(Draw& d, size_t rank) {
  return d.integer(-static_cast<int64_t>(rank), static_cast<int64_t>(rank) - 1);
}

size_t axis_of(int64_t axis, size_t rank) { return static_cast<size_t>(axis < 0 ? axis + static_cast<int64_t>(rank) : axis); }

int64_t count(const std::vector<int64_t>& dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t{1}, std::multiplies<int64_t>());
}

// The flat positions of a tensor of `dims` as per-dim indices, in row-major order.
std::vector<int64_t> unflatten(int64_t flat, const std::vector<int64_t>& dims) {
  std::vector<int64_t> at(dims.size());
  for (size_t k = dims.size(); k-- > 0;) at[k] = flat % dims[k], flat /= dims[k];
  return at;
}

Case gather_elements(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(1, 3)), 1, 5);
  const int64_t axis = random_axis(d, x.size());
  const size_t along = axis_of(axis, x.size());
  std::vector<int64_t> idx = x;  // no larger than data off the axis, any length along it
  for (size_t k = 0; k < idx.size(); ++k) idx[k] = k == along ? d.integer(1, 5) : d.integer(1, x[k]);
  idx = ctx.maybe_empty(idx);
  std::vector<int64_t> values(static_cast<size_t>(count(idx)));
  for (int64_t& v : values) v = any_index(d, x[along]);
  Case c = ctx.make("GatherElements");
  c.input("data", ctx.random(t, x));
  c.input("indices", index_tensor(ctx.dtype({1}, kIndices, false), idx, values));
  c.attr("axis", int_attr(axis));
  return c;
}

Case gather_nd(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(1, 4)), 1, 4);
  const int64_t batch = ctx.opset() >= 12 ? d.integer(0, std::min<int64_t>(1, static_cast<int64_t>(x.size()) - 1)) : 0;
  const int64_t depth = d.integer(1, static_cast<int64_t>(x.size()) - batch);  // the tuple length
  std::vector<int64_t> idx(x.begin(), x.begin() + batch);  // batch dims shared with data
  for (int64_t k = d.integer(0, 2); k > 0; --k) idx.push_back(d.integer(1, 3));
  idx.push_back(depth);
  std::vector<int64_t> values(static_cast<size_t>(count(idx)));
  for (size_t i = 0; i < values.size(); ++i) values[i] = any_index(d, x[static_cast<size_t>(batch) + i % depth]);
  Case c = ctx.make("GatherND");
  c.input("data", ctx.random(t, x));
  c.input("indices", index_tensor(KILN_DTYPE_INT64, idx, values));
  if (batch > 0) c.attr("batch_dims", int_attr(batch));
  return c;
}

// The reductions ScatterElements/ScatterND take at this opset ("none" from 11, add and mul from 16, max and min
// from 18), for a dtype: bool has none but "none".
std::string scatter_reduction(CaseContext& ctx, DataType t) {
  std::vector<std::string> options = {"none", "none"};
  if (ctx.opset() >= 16 && t != KILN_DTYPE_BOOL) options.insert(options.end(), {"add", "mul"});
  if (ctx.opset() >= 18 && t != KILN_DTYPE_BOOL) options.insert(options.end(), {"max", "min"});
  return ctx.draw().pick(options);
}

// ScatterElements, and Scatter (its name at opsets 9 and 10, where the only reduction is "none").
Case scatter_elements(CaseContext& ctx, const std::string& op_type) {
  const DataType t = ctx.dtype({0, 2}, kAny);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(1, 3)), 1, 5);
  const int64_t axis = random_axis(d, x.size());
  const size_t along = axis_of(axis, x.size());
  std::vector<int64_t> idx(x.size());
  for (size_t k = 0; k < idx.size(); ++k) idx[k] = d.integer(ctx.empty_edge() && k == along ? 0 : 1, x[k]);
  // Each line along the axis writes distinct positions: a shuffled prefix of 0..n-1.
  std::vector<int64_t> values(static_cast<size_t>(count(idx)));
  int64_t inner = 1;
  for (size_t k = along + 1; k < idx.size(); ++k) inner *= idx[k];
  for (int64_t line = 0; line < count(idx) / std::max<int64_t>(idx[along], 1); ++line) {
    const std::vector<int64_t> order = d.permutation(static_cast<int>(x[along]));
    const int64_t base = line / inner * idx[along] * inner + line % inner;
    for (int64_t j = 0; j < idx[along]; ++j)
      values[static_cast<size_t>(base + j * inner)] = d.chance(0.3) ? order[j] - x[along] : order[j];
  }
  const std::string reduction = scatter_reduction(ctx, t);
  Case c = ctx.make(op_type);
  c.input("data", ctx.random(t, x));
  c.input("indices", index_tensor(ctx.dtype({1}, kIndices, false), idx, values));
  c.input("updates", ctx.random(t, idx));
  c.attr("axis", int_attr(axis));
  if (reduction != "none") c.attr("reduction", string_attr(reduction));
  return c;
}

Case scatter_nd(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0, 2}, kAny);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(1, 3)), 1, 4);
  const auto depth = static_cast<size_t>(d.integer(1, static_cast<int64_t>(x.size())));
  const std::vector<int64_t> addressed(x.begin(), x.begin() + static_cast<int64_t>(depth));
  // Distinct tuples: a shuffled prefix of every position of the addressed dims.
  const std::vector<int64_t> order = d.permutation(static_cast<int>(count(addressed)));
  const int64_t tuples = ctx.empty_edge() ? 0 : d.integer(1, static_cast<int64_t>(order.size()));
  std::vector<int64_t> values;
  for (int64_t i = 0; i < tuples; ++i)
    for (int64_t v : unflatten(order[static_cast<size_t>(i)], addressed)) values.push_back(v);
  std::vector<int64_t> updates = {tuples};
  updates.insert(updates.end(), x.begin() + static_cast<int64_t>(depth), x.end());
  const std::string reduction = scatter_reduction(ctx, t);
  Case c = ctx.make("ScatterND");
  c.input("data", ctx.random(t, x));
  c.input("indices", index_tensor(KILN_DTYPE_INT64, {tuples, static_cast<int64_t>(depth)}, values));
  c.input("updates", ctx.random(t, updates));
  if (reduction != "none") c.attr("reduction", string_attr(reduction));
  return c;
}

// Sorted output only: with sorted=0 ONNX leaves the order open. Integers this wide, and random floats, rarely
// tie (ties take the lower index first).
Case top_k(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kNumbers);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(1, 3)), 1, 6);
  const int64_t axis = random_axis(d, x.size());
  const int64_t k = d.integer(ctx.empty_edge() ? 0 : 1, x[axis_of(axis, x.size())]);
  Case c = ctx.make("TopK");
  c.input("X", ctx.random(t, x, -100, 100));
  c.constant("K", index_tensor(KILN_DTYPE_INT64, {1}, {k}));
  c.attr("axis", int_attr(axis));
  if (d.chance(0.4)) c.attr("largest", int_attr(0));
  c.num_outputs = 2;
  return c;
}

Case cumsum(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kNumbers);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = ctx.maybe_empty(d.dims(static_cast<int>(d.integer(1, 3)), 1, 6));
  const int64_t axis = random_axis(d, x.size());
  Case c = ctx.make("CumSum");
  c.input("x", ctx.random(t, x, -10, 10));
  c.constant("axis", index_tensor(ctx.dtype({1}, kIndices, false), {}, {axis}));
  if (d.chance(0.4)) c.attr("exclusive", int_attr(1));
  if (d.chance(0.4)) c.attr("reverse", int_attr(1));
  return c;
}

// Values with repeats and zeros: small integers, in any dtype (NonZero's and Unique's outputs depend on them;
// the reference's shape function reads the values).
Tensor repeating_values(CaseContext& ctx, DataType t, const std::vector<int64_t>& dims) {
  Tensor x = ctx.random(t, dims, -2, 2);
  for (int64_t i = 0; i < x.numel(); ++i) set_element(x, i, std::nearbyint(element_at(x, i)));
  return x;
}

Case non_zero(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kAny, false);
  Draw& d = ctx.draw();
  Case c = ctx.make("NonZero");
  c.input("X", repeating_values(ctx, t, ctx.maybe_empty(d.dims(static_cast<int>(d.integer(0, 3)), 1, 5))));
  return c;
}

// Unique over the flattened input or along an axis, sorted or in order of first occurrence, with all four
// outputs.
Case unique(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kNumbers);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(1, 3)), 1, 4);
  Case c = ctx.make("Unique");
  c.input("X", repeating_values(ctx, t, x));
  if (d.chance(0.4)) c.attr("axis", int_attr(random_axis(d, x.size())));
  if (d.chance(0.4)) c.attr("sorted", int_attr(0));
  c.num_outputs = 4;
  return c;
}

}  // namespace

std::vector<CaseGenerator> indexing_generators() {
  return {
      {"", "GatherElements", 13, 22, &gather_elements}, {"", "GatherND", 13, 22, &gather_nd},
      {"", "ScatterElements", 13, 22, &scatter_elements}, {"", "ScatterND", 13, 22, &scatter_nd},
      {"", "TopK", 11, 22, &top_k},                      {"", "CumSum", 11, 22, &cumsum, 2},
      {"", "NonZero", 13, 22, &non_zero},                {"", "Unique", 11, 22, &unique},
      {"", "Scatter", 9, 10, &scatter_elements},
  };
}

}  // namespace kiln::check
