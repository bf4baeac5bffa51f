// INT8 calibration: from a tensor's AbsHistogram, the amax (largest magnitude kept) by one of three methods,
// and the symmetric INT8 scale amax / 127 that maps [-amax, amax] onto [-127, 127].
//   min-max     amax = largest |x| seen: nothing clips, but one outlier wastes the whole range.
//   percentile  amax = the given percentile of |x| (e.g. 99.99), to one bin's resolution.
//   entropy     amax = the threshold whose 128-level quantization loses the least information, measured as
//               KL(P || Q) (TensorRT's IInt8EntropyCalibrator2, GTC 2017 "8-bit Inference with TensorRT").
#ifndef KILN_CORE_QUANTIZE_CALIBRATORS_HPP
#define KILN_CORE_QUANTIZE_CALIBRATORS_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "quantize/histogram.hpp"

namespace kiln {

enum class CalibrationMethod { kMinMax, kPercentile, kEntropy };

// "minmax", "percentile", "entropy": the spelling calibration caches use.
std::string calibration_method_name(CalibrationMethod method);
// Throws kiln::Error naming the accepted spellings.
CalibrationMethod calibration_method_from_name(const std::string& name);

// The number of positive INT8 levels a symmetric scale spreads amax over.
constexpr int kInt8PositiveLevels = 127;
// The number of levels entropy calibration quantizes a candidate range into (TensorRT's 128).
constexpr int kEntropyLevels = 128;

// Each throws kiln::Error for an empty histogram.
float min_max_amax(const AbsHistogram& histogram);
// percentile in (0, 100]. The result is the upper edge of the bin holding that order statistic (capped at the
// largest |x|), so it is at most one bin width above the exact value.
float percentile_amax(const AbsHistogram& histogram, double percentile);
// (i + 0.5) * bin width for the i that entropy_threshold_bin picks, capped at the largest |x|.
float entropy_amax(const AbsHistogram& histogram);

// The entropy method on raw bin counts: the i in [levels, counts.size()] whose reference P = counts[0:i] (the
// outliers counts[i:] folded into bin i-1) and candidate Q (counts[0:i] merged into `levels` levels, each level
// spread evenly back over the bins where P is non-zero) minimise KL(P || Q); the smallest such i on a tie.
// Before the divergence, each empty bin of P and of Q gets 1e-4 of a count taken evenly from the others (as
// MXNet and ONNX Runtime smooth), so a candidate that clips a rare outlier has a finite divergence.
// Bin j of a candidate i belongs to level j * levels / i (integer division), so levels differ by at most one
// bin when i is not a multiple of `levels`. Throws kiln::Error when counts has fewer than `levels` bins or
// holds nothing.
int entropy_threshold_bin(const std::vector<uint64_t>& counts, int levels = kEntropyLevels);

// amax / 127; throws kiln::Error unless amax is finite and positive (an all-zero tensor has no INT8 scale).
float int8_scale(float amax);

// The method applied to a histogram, then int8_scale. `percentile` is read only by kPercentile.
float calibrate_int8_scale(const AbsHistogram& histogram, CalibrationMethod method, double percentile = 99.99);

}  // namespace kiln

#endif  // KILN_CORE_QUANTIZE_CALIBRATORS_HPP
