#include "case_context.hpp"

#include "select/kernel_match.hpp"
#include "ir/element_values.hpp"

namespace kiln::check {

uint64_t CaseContext::input_mask(size_t position) const {
  if (inputs_.empty()) return 0;
  return inputs_[std::min(position, inputs_.size() - 1)];
}

DataType CaseContext::dtype(const std::vector<size_t>& positions, uint64_t wanted, bool with_output) {
  uint64_t mask = wanted;
  for (size_t p : positions) mask &= input_mask(p);
  if (with_output && !outputs_.empty()) mask &= outputs_[0];
  std::vector<DataType> options;
  for (int d = 0; d < 64; ++d)
    if (mask & (uint64_t{1} << d)) options.push_back(d);
  if (options.empty())
    throw NoCase("no dtype both kernels accept at input " + std::to_string(positions.empty() ? 0 : positions[0]) +
                 " among " + dtype_list(wanted));
  // float32 half of the time: the dtype most kernels are written for gets the most cases.
  if (mask & KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) && draw_.chance(0.5)) return KILN_DTYPE_FLOAT32;
  return draw_.pick(options);
}

std::vector<int64_t> CaseContext::maybe_empty(std::vector<int64_t> dims, size_t from) {
  if (empty_edge_ && dims.size() > from)
    dims[static_cast<size_t>(draw_.integer(static_cast<int64_t>(from), static_cast<int64_t>(dims.size()) - 1))] = 0;
  return dims;
}

Tensor CaseContext::indices(size_t position, const std::vector<int64_t>& values) {
  const DataType d = dtype({position}, kIndices, false);
  Tensor t(d, {static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i) set_element(t, static_cast<int64_t>(i), static_cast<double>(values[i]));
  return t;
}

}  // namespace kiln::check
