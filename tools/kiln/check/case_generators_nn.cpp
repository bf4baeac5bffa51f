// Case generators for neural-network ops: convolution, matrix products (Einsum among them), pooling,
// normalization, softmax and reductions.
#include <algorithm>
#include <cmath>

#include "case_generators.hpp"

namespace kiln::check {

namespace {

std::vector<int64_t> repeat(size_t n, int64_t lo, int64_t hi, Draw& d) {
  std::vector<int64_t> v(n);
  for (int64_t& x : v) x = d.integer(lo, hi);
  return v;
}

// Random input for a weighted sum over `fan_in` terms, scaled so that outputs stay near 1 (float16 too).
double weight_bound(int64_t fan_in) { return std::sqrt(3.0 / static_cast<double>(std::max<int64_t>(fan_in, 1))); }

// ---- convolution ----

Case conv(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0, 1}, kFloats);
  Draw& d = ctx.draw();
  const size_t spatial = d.chance(0.75) ? 2 : 1;
  const int64_t group = d.pick(std::vector<int64_t>{1, 1, 2, 3});
  const int64_t per_group_in = d.integer(1, 3), per_group_out = d.integer(1, 3);
  const std::vector<int64_t> kernel = repeat(spatial, 1, 3, d), strides = repeat(spatial, 1, 2, d);
  const std::vector<int64_t> dilations = repeat(spatial, 1, 2, d);
  std::vector<int64_t> x = {d.integer(1, 2), group * per_group_in};
  for (size_t k = 0; k < spatial; ++k) x.push_back((kernel[k] - 1) * dilations[k] + d.integer(1, 5));
  if (ctx.empty_edge()) x[0] = 0;
  std::vector<int64_t> w = {group * per_group_out, per_group_in};
  w.insert(w.end(), kernel.begin(), kernel.end());
  int64_t fan_in = per_group_in;
  for (int64_t k : kernel) fan_in *= k;

  Case c = ctx.make("Conv");
  c.input("X", ctx.random(t, x));
  const double bound = weight_bound(fan_in);
  c.constant("W", ctx.random(t, w, -bound, bound));
  if (d.chance(0.6)) c.constant("B", ctx.random(t, {w[0]}));
  c.attr("kernel_shape", ints_attr(kernel)).attr("strides", ints_attr(strides)).attr("dilations", ints_attr(dilations));
  if (group > 1) c.attr("group", int_attr(group));
  if (d.chance(0.2)) c.attr("auto_pad", string_attr(d.chance(0.5) ? "SAME_UPPER" : "SAME_LOWER"));
  else if (d.chance(0.7)) c.attr("pads", ints_attr(repeat(2 * spatial, 0, 2, d)));
  return c;
}

// ---- matrix products ----

Case gemm(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0, 1}, kFloats);
  Draw& d = ctx.draw();
  const int64_t m = ctx.empty_edge() ? 0 : d.integer(1, 8), k = d.integer(1, 9), n = d.integer(1, 8);
  const bool trans_a = d.chance(0.5), trans_b = d.chance(0.5);
  const double bound = weight_bound(k);
  Case c = ctx.make("Gemm");
  c.input("A", ctx.random(t, trans_a ? std::vector<int64_t>{k, m} : std::vector<int64_t>{m, k}));
  const Tensor b = ctx.random(t, trans_b ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n}, -bound, bound);
  if (d.chance(0.6)) c.constant("B", b);
  else c.input("B", b);
  const std::vector<std::vector<int64_t>> c_shapes = {{}, {n}, {1, n}, {m, 1}, {m, n}};
  if (d.chance(0.7)) c.constant("C", ctx.random(t, d.pick(c_shapes)));
  if (trans_a) c.attr("transA", int_attr(1));
  if (trans_b) c.attr("transB", int_attr(1));
  if (d.chance(0.4)) c.attr("alpha", float_attr(static_cast<float>(d.real(0.25, 2))));
  if (d.chance(0.4)) c.attr("beta", float_attr(static_cast<float>(d.real(0.25, 2))));
  return c;
}

Case matmul(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0, 1}, kFloats);
  Draw& d = ctx.draw();
  const int64_t m = ctx.empty_edge() ? 0 : d.integer(1, 6), k = d.integer(1, 8), n = d.integer(1, 6);
  std::vector<int64_t> a = {m, k}, b = {k, n};
  const int form = static_cast<int>(d.integer(0, 4));
  if (form == 1) a = {k};                      // vector x matrix
  if (form == 2) b = {k};                      // matrix x vector
  if (form >= 3) {  // batches, one side's broadcast against the other's (form 4: the other way round)
    const std::vector<int64_t> batch = d.dims(static_cast<int>(d.integer(1, 2)), 1, 3);
    std::vector<int64_t> other = batch;
    for (int64_t& x : other)
      if (d.chance(0.4)) x = 1;
    if (d.chance(0.3)) other.erase(other.begin());
    a.insert(a.begin(), (form == 3 ? batch : other).begin(), (form == 3 ? batch : other).end());
    b.insert(b.begin(), (form == 3 ? other : batch).begin(), (form == 3 ? other : batch).end());
  }
  const double bound = weight_bound(k);
  Case c = ctx.make("MatMul");
  c.input("A", ctx.random(t, a));
  if (d.chance(0.5)) c.constant("B", ctx.random(t, b, -bound, bound));
  else c.input("B", ctx.random(t, b, -bound, bound));
  return c;
}

// Einsum over an equation drawn from the common forms (products, batched products, transposes, traces,
// diagonals, outer products, reductions, broadcast dims), each letter given one size.
Case einsum(CaseContext& ctx, const std::string&) {
  static const std::vector<std::string> equations = {
      "ij,jk->ik", "bij,bjk->bik", "ij->ji", "ii->i", "ii->", "i,i->", "i,j->ij", "ij->",
      "ij,j->i", "bhid,bhjd->bhij", "...ij,...jk->...ik", "ij,ij->ij", "ijk->kj", "ij,kj"};
  const DataType t = ctx.dtype({0, 1}, kFloats);
  Draw& d = ctx.draw();
  const std::string equation = d.pick(equations);
  std::vector<int64_t> size(26);
  for (int64_t& n : size) n = d.integer(1, 4);
  const std::vector<int64_t> batch = d.dims(static_cast<int>(d.integer(0, 2)), 1, 3);  // what "..." stands for
  Case c = ctx.make("Einsum");
  const std::string operands = equation.substr(0, equation.find("->"));
  size_t from = 0;
  for (int i = 0; from <= operands.size(); ++i) {
    const size_t comma = std::min(operands.find(',', from), operands.size());
    std::vector<int64_t> dims;
    for (size_t p = from; p < comma; ++p) {
      if (operands[p] == '.') {
        dims.insert(dims.end(), batch.begin(), batch.end());
        p += 2;
      } else {
        dims.push_back(size[static_cast<size_t>(operands[p] - 'a')]);
      }
    }
    c.input("Inputs" + std::to_string(i), ctx.random(t, dims));
    from = comma + 1;
  }
  c.attr("equation", string_attr(equation));
  return c;
}

// ---- pooling ----

Case pool(CaseContext& ctx, const std::string& op_type) {
  const bool max = op_type == "MaxPool";
  const DataType t =
      ctx.dtype({0}, max ? kFloats | KILN_DTYPE_BIT(KILN_DTYPE_INT8) | KILN_DTYPE_BIT(KILN_DTYPE_UINT8) : kFloats);
  Draw& d = ctx.draw();
  const size_t spatial = d.chance(0.75) ? 2 : 1;
  const std::vector<int64_t> kernel = repeat(spatial, 1, 3, d), strides = repeat(spatial, 1, 2, d);
  std::vector<int64_t> pads(2 * spatial);
  for (size_t k = 0; k < 2 * spatial; ++k) pads[k] = d.integer(0, kernel[k % spatial] - 1);
  const bool dilated = max && d.chance(0.3);  // AveragePool has dilations only from opset 19
  const std::vector<int64_t> dilations = dilated ? repeat(spatial, 1, 2, d) : std::vector<int64_t>(spatial, 1);
  std::vector<int64_t> x = {d.integer(1, 2), d.integer(1, 4)};
  for (size_t k = 0; k < spatial; ++k) x.push_back((kernel[k] - 1) * dilations[k] + 1 + d.integer(0, 5));
  if (ctx.empty_edge()) x[0] = 0;
  Case c = ctx.make(op_type);
  c.input("X", ctx.random(t, x, -3, 3));
  c.attr("kernel_shape", ints_attr(kernel)).attr("strides", ints_attr(strides));
  if (d.chance(0.6)) c.attr("pads", ints_attr(pads));
  if (d.chance(0.3)) c.attr("ceil_mode", int_attr(1));
  if (op_type == "AveragePool" && d.chance(0.5)) c.attr("count_include_pad", int_attr(1));
  if (op_type == "LpPool") c.attr("p", int_attr(d.integer(1, 3)));
  if (dilated) c.attr("dilations", ints_attr(dilations));
  return c;
}

Case global_pool(CaseContext& ctx, const std::string& op_type) {
  const DataType t = ctx.dtype({0}, kFloats);
  Draw& d = ctx.draw();
  Case c = ctx.make(op_type);
  c.input("X", ctx.random(t, ctx.maybe_empty(d.dims(static_cast<int>(d.integer(3, 4)), 1, 6), 2), -3, 3));
  if (op_type == "GlobalLpPool") c.attr("p", int_attr(d.integer(1, 3)));
  return c;
}

// ---- normalization ----

Case batch_norm(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0, 1, 2, 3, 4}, kFloats);
  Draw& d = ctx.draw();
  std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(2, 4)), 1, 5);
  if (ctx.empty_edge()) x[0] = 0;
  const std::vector<int64_t> channels = {x[1]};
  Case c = ctx.make("BatchNormalization");
  c.input("X", ctx.random(t, x, -3, 3));
  c.constant("scale", ctx.random(t, channels, 0.5, 1.5));
  c.constant("B", ctx.random(t, channels));
  c.constant("mean", ctx.random(t, channels, -1, 1));
  c.constant("var", ctx.random(t, channels, 0.25, 2));
  if (d.chance(0.5)) c.attr("epsilon", float_attr(static_cast<float>(d.real(1e-5, 1e-2))));
  return c;
}

// LayerNormalization, and RMSNormalization (the same axis and scale, no bias).
Case layer_norm(CaseContext& ctx, const std::string& op_type) {
  const DataType t = ctx.dtype({0, 1}, kFloats);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(1, 4)), 1, 6);
  const auto rank = static_cast<int64_t>(x.size());
  const int64_t axis = d.integer(-rank, rank - 1);
  const std::vector<int64_t> normalized(x.begin() + (axis < 0 ? axis + rank : axis), x.end());
  Case c = ctx.make(op_type);
  c.input("X", ctx.random(t, x, -3, 3));
  c.constant("Scale", ctx.random(t, normalized, 0.5, 1.5));
  if (op_type == "LayerNormalization" && d.chance(0.6)) c.constant("B", ctx.random(t, normalized));
  c.attr("axis", int_attr(axis));
  if (d.chance(0.5)) c.attr("epsilon", float_attr(static_cast<float>(d.real(1e-5, 1e-2))));
  return c;
}

Case instance_norm(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0, 1, 2}, kFloats);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(3, 4)), 1, 5);
  Case c = ctx.make("InstanceNormalization");
  c.input("X", ctx.random(t, x, -3, 3));
  c.constant("scale", ctx.random(t, {x[1]}, 0.5, 1.5));
  c.constant("B", ctx.random(t, {x[1]}));
  if (d.chance(0.5)) c.attr("epsilon", float_attr(static_cast<float>(d.real(1e-5, 1e-2))));
  return c;
}

// ---- softmax and reductions ----

Case softmax(CaseContext& ctx, const std::string& op_type) {
  const DataType t = ctx.dtype({0}, kFloats);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = ctx.maybe_empty(d.dims(static_cast<int>(d.integer(1, 4)), 1, 6));
  const auto rank = static_cast<int64_t>(x.size());
  Case c = ctx.make(op_type);
  c.input("X", ctx.random(t, x, -4, 4));
  if (d.chance(0.7)) c.attr("axis", int_attr(d.integer(-rank, rank - 1)));
  return c;
}

// Reductions whose result is a float formula (logs, roots, means) draw floats only, positive for the logs.
Case reduce(CaseContext& ctx, const std::string& op_type) {
  const bool exact = op_type == "ReduceSum" || op_type == "ReduceMax" || op_type == "ReduceMin" ||
                     op_type == "ReduceProd" || op_type == "ReduceSumSquare" || op_type == "ReduceL1";
  const uint64_t wanted =
      exact ? kFloats | KILN_DTYPE_BIT(KILN_DTYPE_INT32) | KILN_DTYPE_BIT(KILN_DTYPE_INT64) : kFloats;
  const bool positive = op_type == "ReduceLogSum";
  const DataType t = ctx.dtype({0}, wanted);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(1, 4)), 1, 5);
  const auto rank = static_cast<int64_t>(x.size());
  std::vector<int64_t> axes;
  for (int64_t a = 0; a < rank; ++a)
    if (d.chance(0.4)) axes.push_back(d.chance(0.3) ? a - rank : a);
  Case c = ctx.make(op_type);
  c.input("data", ctx.random(t, x, positive ? 0.1 : -2, 2));
  // Axes became an input in opset 13 for ReduceSum and in opset 18 for the others.
  const bool axes_input = ctx.opset() >= (op_type == "ReduceSum" ? 13 : 18);
  if (!axes.empty()) {
    if (axes_input) c.constant("axes", ctx.indices(1, axes));
    else c.attr("axes", ints_attr(axes));
  }
  if (d.chance(0.5)) c.attr("keepdims", int_attr(0));
  return c;
}

Case arg_extreme(CaseContext& ctx, const std::string& op_type) {
  const DataType t = ctx.dtype({0}, kNumbers, false);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = d.dims(static_cast<int>(d.integer(1, 4)), 1, 5);
  const auto rank = static_cast<int64_t>(x.size());
  Case c = ctx.make(op_type);
  c.input("data", ctx.random(t, x, -100, 100));  // integers this wide rarely tie; select_last_index decides ties
  c.attr("axis", int_attr(d.integer(-rank, rank - 1)));
  if (d.chance(0.5)) c.attr("keepdims", int_attr(0));
  if (d.chance(0.3)) c.attr("select_last_index", int_attr(1));
  return c;
}

}  // namespace

std::vector<CaseGenerator> nn_generators() {
  return {
      {"", "Conv", 11, 22, &conv, 4},
      {"", "Gemm", 13, 22, &gemm, 4},
      {"", "MatMul", 13, 22, &matmul, 4},
      {"", "Einsum", 12, 22, &einsum, 4},
      {"", "MaxPool", 12, 22, &pool},
      {"", "AveragePool", 11, 22, &pool, 2},
      {"", "GlobalAveragePool", 1, 22, &global_pool, 2},
      {"", "GlobalMaxPool", 1, 22, &global_pool},
      {"", "LpPool", 18, 22, &pool, 2},
      {"", "GlobalLpPool", 2, 22, &global_pool, 2},
      {"", "BatchNormalization", 15, 22, &batch_norm, 2},
      {"", "LayerNormalization", 17, 22, &layer_norm, 4},
      {"", "RMSNormalization", 23, 23, &layer_norm, 4},
      {"", "InstanceNormalization", 6, 22, &instance_norm, 4},
      {"", "Softmax", 13, 22, &softmax, 2},
      {"", "LogSoftmax", 13, 22, &softmax, 2},
      {"", "ReduceSum", 13, 22, &reduce, 2},
      {"", "ReduceMean", 13, 22, &reduce, 2},
      {"", "ReduceMax", 13, 22, &reduce},
      {"", "ReduceMin", 13, 22, &reduce},
      {"", "ReduceProd", 13, 22, &reduce, 2},
      {"", "ReduceL1", 13, 22, &reduce, 2},
      {"", "ReduceL2", 13, 22, &reduce, 2},
      {"", "ReduceSumSquare", 13, 22, &reduce, 2},
      {"", "ReduceLogSum", 13, 22, &reduce, 2},
      {"", "ReduceLogSumExp", 13, 22, &reduce, 2},
      {"", "ArgMax", 13, 22, &arg_extreme},
      {"", "ArgMin", 13, 22, &arg_extreme},
      {"", "Hardmax", 13, 22, &softmax},
  };
}

}  // namespace kiln::check
