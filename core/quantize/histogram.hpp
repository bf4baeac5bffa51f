// AbsHistogram: the per-tensor distribution that INT8 calibration reads. It counts |x| in a fixed number of
// equal bins over [0, largest |x| seen] (TensorRT's approach: 2048 bins) and keeps the signed minimum and
// maximum beside it. Batches arrive one at a time; when a batch's largest |x| exceeds the range so far, the
// counts gathered until then are re-binned into the wider range, so the bin count never grows.
#ifndef KILN_CORE_QUANTIZE_HISTOGRAM_HPP
#define KILN_CORE_QUANTIZE_HISTOGRAM_HPP

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln {

class AbsHistogram {
 public:
  static constexpr int kDefaultBins = 2048;

  // Throws kiln::Error for fewer than one bin.
  explicit AbsHistogram(int num_bins = kDefaultBins);

  // Counts one batch. A NaN or infinity is an error (kiln::Error naming its index in the batch): a calibration
  // set that produces one cannot give a meaningful scale. An empty batch changes nothing.
  void add(const float* values, size_t count);

  int num_bins() const { return static_cast<int>(counts_.size()); }
  const std::vector<uint64_t>& counts() const { return counts_; }
  uint64_t total() const { return total_; }

  // The histogram covers [0, range()]; range() is the largest |x| seen (0 before any non-zero value).
  float range() const { return range_; }
  double bin_width() const { return static_cast<double>(range_) / num_bins(); }

  // Signed extremes of every value added; meaningful only when total() > 0.
  float min() const { return min_; }
  float max() const { return max_; }

 private:
  void widen_to(float new_range);
  int bin_of(double magnitude) const;

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  float range_ = 0.0f;
  float min_ = 0.0f;
  float max_ = 0.0f;
};

}  // namespace kiln

#endif  // KILN_CORE_QUANTIZE_HISTOGRAM_HPP
