#include "quantize/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "util/error.hpp"

namespace kiln {

namespace {

float largest_magnitude(const float* values, size_t count) {
  float largest = 0.0f;
  for (size_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i]))
      throw Error("calibration histogram: value " + std::to_string(i) + " of the batch is not finite (" +
                  std::to_string(values[i]) + ")");
    largest = std::max(largest, std::fabs(values[i]));
  }
  return largest;
}

}  // namespace

AbsHistogram::AbsHistogram(int num_bins) {
  if (num_bins < 1) throw Error("calibration histogram: needs at least one bin, got " + std::to_string(num_bins));
  counts_.assign(static_cast<size_t>(num_bins), 0);
}

// A value's bin; the largest value (== range) lands in the last bin rather than one past it.
int AbsHistogram::bin_of(double magnitude) const {
  if (range_ == 0.0f) return 0;
  const double index = std::floor(magnitude / bin_width());
  return static_cast<int>(std::min(index, static_cast<double>(num_bins() - 1)));
}

// Each old bin moves whole into the new bin holding its centre: counts stay integers and the total is kept;
// a value can move by at most one new bin width, since every old bin is narrower than a new one.
void AbsHistogram::widen_to(float new_range) {
  const double old_width = bin_width();
  std::vector<uint64_t> old_counts(counts_.size(), 0);
  old_counts.swap(counts_);
  range_ = new_range;
  for (size_t j = 0; j < old_counts.size(); ++j)
    if (old_counts[j] != 0) counts_[bin_of((static_cast<double>(j) + 0.5) * old_width)] += old_counts[j];
}

void AbsHistogram::add(const float* values, size_t count) {
  if (count == 0) return;
  const float largest = largest_magnitude(values, count);  // validates the whole batch before anything changes
  if (largest > range_) widen_to(largest);
  if (total_ == 0) min_ = max_ = values[0];
  for (size_t i = 0; i < count; ++i) {
    min_ = std::min(min_, values[i]);
    max_ = std::max(max_, values[i]);
    ++counts_[bin_of(std::fabs(values[i]))];
  }
  total_ += count;
}

}  // namespace kiln
