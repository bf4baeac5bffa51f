// Case generators for the losses, NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: scores [N, C] or
// [N, C, d...], targets in [0, C) with some equal to ignore_index when one is set, optional class weights, and
// each reduction.
#include "case_generators.hpp"
#include "ir/element_values.hpp"

namespace kiln::check {

namespace {

Case loss(CaseContext& ctx, const std::string& op_type) {
  const DataType t = ctx.dtype({0, 2}, kFloats);
  const DataType target = ctx.dtype({1}, kIndices, false);
  Draw& d = ctx.draw();
  const int64_t n = d.integer(1, 4), classes = d.integer(1, 5);
  std::vector<int64_t> scores = {n, classes}, labels = {n};
  for (int64_t k = d.integer(0, 2); k > 0; --k) {
    const int64_t extent = d.integer(1, 3);
    scores.push_back(extent);
    labels.push_back(extent);
  }
  Tensor y = ctx.random(target, labels, 0, static_cast<double>(classes - 1));
  const bool ignore = classes > 1 && d.chance(0.4);
  const int64_t ignored = d.chance(0.5) ? -1 : d.integer(0, classes - 1);
  // Not every target ignored: a mean over no weight at all is 0 / 0.
  for (int64_t i = 1; ignore && i < y.numel(); ++i)
    if (d.chance(0.3)) set_element(y, i, static_cast<double>(ignored));
  if (ignore && element_at(y, 0) == static_cast<double>(ignored)) set_element(y, 0, static_cast<double>((ignored + 1) % classes));
  Case c = ctx.make(op_type);
  // NLL takes log-probabilities (negative); cross entropy takes raw scores.
  c.input(op_type == "NegativeLogLikelihoodLoss" ? "input" : "scores", ctx.random(t, scores, -3, op_type == "NegativeLogLikelihoodLoss" ? 0 : 3));
  c.input("target", y);
  if (d.chance(0.5)) c.constant("weight", ctx.random(t, {classes}, 0.25, 2));
  c.attr("reduction", string_attr(d.pick(std::vector<std::string>{"none", "sum", "mean"})));
  if (ignore) c.attr("ignore_index", int_attr(ignored));
  if (op_type == "SoftmaxCrossEntropyLoss" && d.chance(0.5)) c.num_outputs = 2;  // log_prob too
  return c;
}

}  // namespace

std::vector<CaseGenerator> loss_generators() {
  return {
      {"", "NegativeLogLikelihoodLoss", 13, 22, &loss, 4},
      {"", "SoftmaxCrossEntropyLoss", 13, 22, &loss, 4},
  };
}

}  // namespace kiln::check
