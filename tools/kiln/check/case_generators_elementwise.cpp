// Case generators for elementwise ops: unary activations and math, binary and variadic ops with numpy
// broadcasting, comparisons, bitwise ops, PRelu, Clip, Where, Mod, BitShift, IsNaN and IsInf.
#include <cmath>
#include <map>

#include "case_generators.hpp"
#include "ir/element_values.hpp"

namespace kiln::check {

namespace {

// ---- unary ----

struct UnaryOp {
  uint64_t dtypes;  // what the generator draws for X
  double lo, hi;    // X's range: inside the op's domain, away from its poles
  void (*attributes)(Case& c, Draw& draw);
};

void no_attributes(Case&, Draw&) {}
void alpha(Case& c, Draw& d) { c.attr("alpha", float_attr(static_cast<float>(d.real(0.05, 1.5)))); }

const std::map<std::string, UnaryOp>& unary_ops() {
  static const std::map<std::string, UnaryOp> ops = {
      {"Relu", {kSignedNumbers, -2, 2, no_attributes}},
      {"Abs", {kNumbers, -2, 2, no_attributes}},
      {"Neg", {kSignedNumbers, -2, 2, no_attributes}},
      {"Sigmoid", {kFloats, -4, 4, no_attributes}},
      {"Tanh", {kFloats, -3, 3, no_attributes}},
      {"Exp", {kFloats, -3, 3, no_attributes}},
      {"Log", {kFloats, 0.05, 4, no_attributes}},
      {"Sqrt", {kFloats, 0.01, 4, no_attributes}},
      {"Reciprocal", {kFloats, 0.25, 4, no_attributes}},
      {"Erf", {kFloats, -2, 2, no_attributes}},
      {"Sin", {kFloats, -3, 3, no_attributes}},
      {"Cos", {kFloats, -3, 3, no_attributes}},
      {"Softplus", {kFloats, -4, 4, no_attributes}},
      {"Softsign", {kFloats, -4, 4, no_attributes}},
      {"Elu", {kFloats, -3, 3, alpha}},
      {"LeakyRelu", {kFloats, -3, 3, alpha}},
      {"Selu", {kFloats, -3, 3, no_attributes}},
      {"HardSwish", {kFloats, -4, 4, no_attributes}},
      {"HardSigmoid",
       {kFloats, -4, 4,
        [](Case& c, Draw& d) {
          c.attr("alpha", float_attr(static_cast<float>(d.real(0.1, 0.5))));
          c.attr("beta", float_attr(static_cast<float>(d.real(0.2, 0.8))));
        }}},
      {"Gelu",
       {kFloats, -3, 3, [](Case& c, Draw& d) { c.attr("approximate", string_attr(d.chance(0.5) ? "tanh" : "none")); }}},
      {"Celu", {kFloats, -3, 3, alpha}},
      {"ThresholdedRelu", {kFloats, -3, 3, alpha}},
      {"Mish", {kFloats, -3, 3, no_attributes}},
      {"Floor", {kFloats, -5, 5, no_attributes}},
      {"Ceil", {kFloats, -5, 5, no_attributes}},
      {"Round", {kFloats, -5, 5, no_attributes}},
      {"Sign", {kSignedNumbers, -3, 3, no_attributes}},
      {"Tan", {kFloats, -1.2, 1.2, no_attributes}},
      {"Sinh", {kFloats, -3, 3, no_attributes}},
      {"Cosh", {kFloats, -3, 3, no_attributes}},
      {"Asin", {kFloats, -0.95, 0.95, no_attributes}},
      {"Acos", {kFloats, -0.95, 0.95, no_attributes}},
      {"Atan", {kFloats, -3, 3, no_attributes}},
      {"Asinh", {kFloats, -3, 3, no_attributes}},
      {"Acosh", {kFloats, 1.05, 4, no_attributes}},
      {"Atanh", {kFloats, -0.9, 0.9, no_attributes}},
      {"Not", {KILN_DTYPE_BIT(KILN_DTYPE_BOOL), 0, 1, no_attributes}},
      {"BitwiseNot", {KILN_DTYPES_SIGNED_INT | KILN_DTYPES_UNSIGNED_INT, -100, 100, no_attributes}},
      {"Shrink",
       {kNumbers, -3, 3,
        [](Case& c, Draw& d) {
          c.attr("lambd", float_attr(static_cast<float>(d.real(0, 1.5))));
          if (d.chance(0.6)) c.attr("bias", float_attr(static_cast<float>(d.real(0, 1))));
        }}},
  };
  return ops;
}

Case unary(CaseContext& ctx, const std::string& op_type) {
  const UnaryOp& op = unary_ops().at(op_type);
  const DataType t = ctx.dtype({0}, op.dtypes);
  const auto rank = static_cast<int>(ctx.draw().integer(0, 4));
  Case c = ctx.make(op_type);
  c.input("X", ctx.random(t, ctx.maybe_empty(ctx.draw().dims(rank, 1, 6)), op.lo, op.hi));
  op.attributes(c, ctx.draw());
  return c;
}

// ---- broadcasting ----

// Shapes for a binary op with numpy broadcasting: one full shape, the other with leading dims dropped and some
// dims 1 (either way round).
std::pair<std::vector<int64_t>, std::vector<int64_t>> broadcast_pair(CaseContext& ctx) {
  Draw& d = ctx.draw();
  const std::vector<int64_t> full = ctx.maybe_empty(d.dims(static_cast<int>(d.integer(0, 4)), 1, 5));
  std::vector<int64_t> other(full.begin() + d.integer(0, static_cast<int64_t>(full.size())), full.end());
  for (int64_t& x : other)
    if (d.chance(0.3)) x = 1;
  if (d.chance(0.3)) return {other, full};
  return {full, other};
}

struct BinaryOp {
  uint64_t dtypes;
  double b_lo, b_hi;  // B's range (a divisor stays away from 0)
  bool bool_output;
  bool variadic;
};

const std::map<std::string, BinaryOp>& binary_ops() {
  static const std::map<std::string, BinaryOp> ops = {
      {"Add", {kNumbers, -2, 2, false, false}},
      {"Sub", {kNumbers, -2, 2, false, false}},
      {"Mul", {kNumbers, -2, 2, false, false}},
      {"Div", {kNumbers, 0.5, 3, false, false}},
      {"Pow", {kFloats, -2, 2, false, false}},
      {"Equal", {kNumbers, -2, 2, true, false}},
      {"Greater", {kNumbers, -2, 2, true, false}},
      {"Less", {kNumbers, -2, 2, true, false}},
      {"GreaterOrEqual", {kNumbers, -2, 2, true, false}},
      {"LessOrEqual", {kNumbers, -2, 2, true, false}},
      {"Max", {kNumbers, -2, 2, false, true}},
      {"Min", {kNumbers, -2, 2, false, true}},
      {"Sum", {kFloats, -2, 2, false, true}},
      {"Mean", {kFloats, -2, 2, false, true}},
      {"And", {KILN_DTYPE_BIT(KILN_DTYPE_BOOL), 0, 1, true, false}},
      {"Or", {KILN_DTYPE_BIT(KILN_DTYPE_BOOL), 0, 1, true, false}},
      {"Xor", {KILN_DTYPE_BIT(KILN_DTYPE_BOOL), 0, 1, true, false}},
      {"BitwiseAnd", {KILN_DTYPES_SIGNED_INT | KILN_DTYPES_UNSIGNED_INT, -100, 100, false, false}},
      {"BitwiseOr", {KILN_DTYPES_SIGNED_INT | KILN_DTYPES_UNSIGNED_INT, -100, 100, false, false}},
      {"BitwiseXor", {KILN_DTYPES_SIGNED_INT | KILN_DTYPES_UNSIGNED_INT, -100, 100, false, false}},
  };
  return ops;
}

Case binary(CaseContext& ctx, const std::string& op_type) {
  const BinaryOp& op = binary_ops().at(op_type);
  const DataType t = ctx.dtype({0, 1}, op.dtypes, !op.bool_output);
  auto [a, b] = broadcast_pair(ctx);
  const bool is_pow = op_type == "Pow";
  Case c = ctx.make(op_type);
  // Integer division rounds differently across packs for negative operands, so integer A stays >= 0 there.
  const bool non_negative = is_pow || (op_type == "Div" && !is_real(t));
  c.input("A", ctx.random(t, a, non_negative ? (is_pow ? 0.5 : 0) : -2, 2));
  c.input("B", ctx.random(t, b, op.b_lo, op.b_hi));
  if (op.variadic && ctx.draw().chance(0.3)) c.input("C", ctx.random(t, a));
  if (op.variadic && ctx.draw().chance(0.2)) c.inputs.resize(1);  // a single operand
  if (!is_real(t) && ctx.draw().chance(0.5)) c.inputs[1].constant = true;
  return c;
}

// ---- others ----

Case prelu(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0, 1}, kFloats);
  Draw& d = ctx.draw();
  const std::vector<int64_t> x = ctx.maybe_empty(d.dims(static_cast<int>(d.integer(1, 4)), 1, 5));
  std::vector<int64_t> slope(x.begin() + d.integer(0, static_cast<int64_t>(x.size()) - 1), x.end());
  for (int64_t& s : slope)
    if (d.chance(0.4)) s = 1;
  Case c = ctx.make("PRelu");
  c.input("X", ctx.random(t, x, -3, 3));
  c.constant("slope", ctx.random(t, slope, 0, 1));
  return c;
}

Case clip(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0}, kSignedNumbers);
  Draw& d = ctx.draw();
  Case c = ctx.make("Clip");
  c.input("X", ctx.random(t, ctx.maybe_empty(d.dims(static_cast<int>(d.integer(0, 4)), 1, 5)), -3, 3));
  const double lo = d.real(-2, 0), hi = d.real(0, 2);
  const int form = static_cast<int>(d.integer(0, 3));  // both bounds, min only, max only, neither
  if (form == 3) return c;
  if (form == 2) c.omitted("min");
  else c.constant("min", ctx.random(t, {}, lo, lo));
  if (form != 1) c.constant("max", ctx.random(t, {}, hi, hi));
  return c;
}

Case where(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({1, 2}, kNumbers);
  auto [x, y] = broadcast_pair(ctx);
  Case c = ctx.make("Where");
  c.input("condition", ctx.random(KILN_DTYPE_BOOL, ctx.draw().chance(0.5) ? x : y, 0, 1));
  c.input("X", ctx.random(t, x));
  c.input("Y", ctx.random(t, y));
  return c;
}

// fmod=1 (C's fmod, the only form ONNX allows for floats) or, for integers, fmod=0 too (the divisor's sign);
// divisors of either sign, away from 0.
Case mod(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0, 1}, kNumbers);
  auto [a, b] = broadcast_pair(ctx);
  Draw& d = ctx.draw();
  const bool signed_b = t != KILN_DTYPE_UINT8 && t != KILN_DTYPE_UINT16 && t != KILN_DTYPE_UINT32 && t != KILN_DTYPE_UINT64;
  Tensor divisor = ctx.random(t, b, 1, 4);
  for (int64_t i = 0; signed_b && i < divisor.numel(); ++i)
    if (d.chance(0.5)) set_element(divisor, i, -element_at(divisor, i));
  Case c = ctx.make("Mod");
  c.input("A", ctx.random(t, a, -9, 9));
  c.input("B", divisor);
  if (is_real(t) || d.chance(0.5)) c.attr("fmod", int_attr(1));
  return c;
}

Case bit_shift(CaseContext& ctx, const std::string&) {
  const DataType t = ctx.dtype({0, 1}, KILN_DTYPES_UNSIGNED_INT);
  auto [a, b] = broadcast_pair(ctx);
  Case c = ctx.make("BitShift");
  c.input("X", ctx.random(t, a, 0, 255));
  c.input("Y", ctx.random(t, b, 0, 9));
  c.attr("direction", string_attr(ctx.draw().chance(0.5) ? "LEFT" : "RIGHT"));
  return c;
}

// IsNaN and IsInf: floats with NaNs and infinities of both signs among them.
Case special_values(CaseContext& ctx, const std::string& op_type) {
  const DataType t = ctx.dtype({0}, kFloats, false);
  Draw& d = ctx.draw();
  Tensor x = ctx.random(t, ctx.maybe_empty(d.dims(static_cast<int>(d.integer(0, 3)), 1, 6)));
  for (int64_t i = 0; i < x.numel(); ++i)
    if (d.chance(0.4)) set_element(x, i, d.pick(std::vector<double>{NAN, INFINITY, -INFINITY}));
  Case c = ctx.make(op_type);
  c.input("X", x);
  if (op_type == "IsInf" && d.chance(0.3)) c.attr("detect_negative", int_attr(0));
  if (op_type == "IsInf" && d.chance(0.3)) c.attr("detect_positive", int_attr(0));
  return c;
}

}  // namespace

std::vector<CaseGenerator> elementwise_generators() {
  std::vector<CaseGenerator> g;
  for (const auto& [op, params] : unary_ops()) {
    (void)params;
    const int since = op == "Gelu" ? 20 : op == "Mish" || op == "BitwiseNot" ? 18 : op == "HardSwish" ? 14 : op == "Celu" ? 12 : 13;
    g.push_back({"", op, since, 22, &unary});
  }
  for (const auto& [op, params] : binary_ops()) {
    (void)params;
    g.push_back({"", op, 13, 22, &binary});
  }
  g.push_back({"", "PRelu", 16, 22, &prelu});
  g.push_back({"", "Clip", 13, 22, &clip});
  g.push_back({"", "Where", 16, 22, &where});
  g.push_back({"", "Mod", 13, 22, &mod});
  g.push_back({"", "BitShift", 11, 22, &bit_shift});
  g.push_back({"", "IsNaN", 13, 22, &special_values});
  g.push_back({"", "IsInf", 10, 22, &special_values});
  return g;
}

}  // namespace kiln::check
