// follow_step (case_generators.hpp): the later steps of a fused pattern, drawn around the previous step's output.
#include "case_generators.hpp"

namespace kiln::check {

namespace {

CaseInput chained_input_of(const Tensor& chained) { return CaseInput{"X", chained, false, true, std::nullopt}; }

Case batch_norm_step(CaseContext& ctx, const Tensor& chained) {
  if (chained.rank() < 2) throw NoCase("BatchNormalization needs a previous output of rank 2 or more");
  const std::vector<int64_t> channels = {chained.dims()[1]};
  const DataType t = chained.dtype();
  Case c = ctx.make("BatchNormalization");
  c.inputs.push_back(chained_input_of(chained));
  c.constant("scale", ctx.random(t, channels, 0.5, 1.5)).constant("B", ctx.random(t, channels));
  c.constant("mean", ctx.random(t, channels, -1, 1)).constant("var", ctx.random(t, channels, 0.25, 2));
  if (ctx.draw().chance(0.5)) c.attr("epsilon", float_attr(static_cast<float>(ctx.draw().real(1e-5, 1e-2))));
  return c;
}

// The other operand broadcasts into the chained one (the output keeps the chained shape): the same shape (a
// residual), one value per column (a bias), or leading dims dropped and some set to 1, a constant or not. After
// a 4-D output (a 2-D convolution's), half of the time a residual activation: the same shape and not a
// constant, what GPU packs fuse into a convolution (the draws of other chains stay as they were).
Case binary_step(CaseContext& ctx, const std::string& op_type, const Tensor& chained, int32_t chained_input) {
  Draw& d = ctx.draw();
  const std::vector<int64_t>& full = chained.dims();
  const bool residual = full.size() == 4 && d.chance(0.5);
  std::vector<int64_t> other = full;
  if (!residual && d.chance(0.4) && !full.empty()) other = {full.back()};  // a bias per column
  else if (!residual && d.chance(0.5)) {  // any broadcast
    other.erase(other.begin(), other.begin() + d.integer(0, static_cast<int64_t>(full.size())));
    for (int64_t& x : other)
      if (d.chance(0.3)) x = 1;
  }
  const size_t position =
      chained_input >= 0 ? static_cast<size_t>(chained_input) : static_cast<size_t>(d.integer(0, 1));
  Case c = ctx.make(op_type);
  CaseInput operand{"B", ctx.random(chained.dtype(), other), !residual && d.chance(0.5), false, std::nullopt};
  c.inputs = position == 0 ? std::vector<CaseInput>{chained_input_of(chained), operand}
                           : std::vector<CaseInput>{operand, chained_input_of(chained)};
  return c;
}

}  // namespace

Case follow_step(CaseContext& ctx, const std::string& op_type, const Tensor& chained, int32_t chained_input) {
  if (op_type == "BatchNormalization") return batch_norm_step(ctx, chained);
  if (op_type == "Add" || op_type == "Sub" || op_type == "Mul")
    return binary_step(ctx, op_type, chained, chained_input);
  const CaseGenerator* generator = find_generator("", op_type);
  if (!generator || chained_input > 0) throw NoCase("no case generator for pattern step " + op_type);
  Case c = generator->make(ctx, op_type);  // an activation: its attributes and constants, then the chained input
  c.inputs.at(0) = chained_input_of(chained);
  return c;
}

}  // namespace kiln::check
