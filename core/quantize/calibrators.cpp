#include "quantize/calibrators.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "util/error.hpp"

namespace kiln {

namespace {

void require_values(const AbsHistogram& histogram, const char* method) {
  if (histogram.total() == 0) throw Error(std::string(method) + " calibration: the histogram holds no values");
}

// A candidate's reference distribution: the first i bins, with everything beyond folded into the last one
// (the values that clipping to this threshold would saturate).
std::vector<double> reference_distribution(const std::vector<uint64_t>& counts, int i) {
  std::vector<double> p(counts.begin(), counts.begin() + i);
  p[i - 1] += static_cast<double>(std::accumulate(counts.begin() + i, counts.end(), uint64_t{0}));
  return p;
}

// The candidate: counts[0:i] (outliers left out) merged into `levels` levels, each level's total spread evenly
// over the bins where the reference is non-zero, so an empty bin stays empty as it would after dequantizing.
std::vector<double> quantized_distribution(const std::vector<uint64_t>& counts, const std::vector<double>& p,
                                           int levels) {
  const int i = static_cast<int>(p.size());
  std::vector<double> level_total(levels, 0.0);
  std::vector<int> level_nonzero_bins(levels, 0);
  for (int j = 0; j < i; ++j) {
    const int level = static_cast<int>(static_cast<int64_t>(j) * levels / i);
    level_total[level] += static_cast<double>(counts[j]);
    if (p[j] != 0.0) ++level_nonzero_bins[level];
  }
  std::vector<double> q(i, 0.0);
  for (int j = 0; j < i; ++j) {
    const int level = static_cast<int>(static_cast<int64_t>(j) * levels / i);
    if (p[j] != 0.0) q[j] = level_total[level] / level_nonzero_bins[level];
  }
  return q;
}

// Empty bins make KL(P || Q) infinite wherever Q misses mass that P has: a candidate whose last level holds
// only the folded outliers, which is exactly the threshold that clips a rare outlier. As MXNet and ONNX
// Runtime do, every empty bin gets kSmoothingCount (in counts), taken evenly from the non-empty bins; false
// when that is impossible (nothing to take from, or a bin would go non-positive).
constexpr double kSmoothingCount = 1e-4;

bool smooth(std::vector<double>& distribution) {
  const auto empty = std::count(distribution.begin(), distribution.end(), 0.0);
  const auto filled = static_cast<std::ptrdiff_t>(distribution.size()) - empty;
  if (filled == 0) return false;
  const double taken = kSmoothingCount * static_cast<double>(empty) / static_cast<double>(filled);
  for (double& value : distribution) {
    value = value == 0.0 ? kSmoothingCount : value - taken;
    if (value <= 0.0) return false;
  }
  return true;
}

// KL(P || Q) of two unnormalised distributions after smoothing; infinite when either cannot be smoothed.
double kl_divergence(std::vector<double> p, std::vector<double> q) {
  if (!smooth(p) || !smooth(q)) return std::numeric_limits<double>::infinity();
  const double p_sum = std::accumulate(p.begin(), p.end(), 0.0);
  const double q_sum = std::accumulate(q.begin(), q.end(), 0.0);
  double divergence = 0.0;
  for (size_t j = 0; j < p.size(); ++j) {
    const double pj = p[j] / p_sum;
    divergence += pj * std::log(pj / (q[j] / q_sum));
  }
  return divergence;
}

}  // namespace

std::string calibration_method_name(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kMinMax: return "minmax";
    case CalibrationMethod::kPercentile: return "percentile";
    case CalibrationMethod::kEntropy: return "entropy";
  }
  throw Error("calibration: unknown method " + std::to_string(static_cast<int>(method)));
}

CalibrationMethod calibration_method_from_name(const std::string& name) {
  for (CalibrationMethod method :
       {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile, CalibrationMethod::kEntropy})
    if (calibration_method_name(method) == name) return method;
  throw Error("calibration: unknown method '" + name + "' (expected minmax, percentile or entropy)");
}

float min_max_amax(const AbsHistogram& histogram) {
  require_values(histogram, "min-max");
  return std::max(std::fabs(histogram.min()), std::fabs(histogram.max()));
}

float percentile_amax(const AbsHistogram& histogram, double percentile) {
  require_values(histogram, "percentile");
  if (!(percentile > 0.0 && percentile <= 100.0))
    throw Error("percentile calibration: the percentile must be in (0, 100], got " + std::to_string(percentile));
  // The rank (1-based) of the order statistic the percentile names; the same rule a sort would use.
  const double wanted = std::ceil(percentile / 100.0 * static_cast<double>(histogram.total()));
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  int bin = 0;
  for (; bin < histogram.num_bins(); ++bin) {
    seen += histogram.counts()[bin];
    if (seen >= rank) break;
  }
  const double upper_edge = (bin + 1) * histogram.bin_width();
  return static_cast<float>(std::min(upper_edge, static_cast<double>(histogram.range())));
}

int entropy_threshold_bin(const std::vector<uint64_t>& counts, int levels) {
  const int num_bins = static_cast<int>(counts.size());
  if (levels < 1 || num_bins < levels)
    throw Error("entropy calibration: needs at least " + std::to_string(levels) + " bins, got " +
                std::to_string(num_bins));
  if (std::accumulate(counts.begin(), counts.end(), uint64_t{0}) == 0)
    throw Error("entropy calibration: the histogram holds no values");
  int best_bin = num_bins;
  double best_divergence = std::numeric_limits<double>::infinity();
  for (int i = levels; i <= num_bins; ++i) {
    const std::vector<double> p = reference_distribution(counts, i);
    const double divergence = kl_divergence(p, quantized_distribution(counts, p, levels));
    if (divergence < best_divergence) {
      best_divergence = divergence;
      best_bin = i;
    }
  }
  return best_bin;
}

float entropy_amax(const AbsHistogram& histogram) {
  require_values(histogram, "entropy");
  const int bin = entropy_threshold_bin(histogram.counts());
  const double threshold = (bin + 0.5) * histogram.bin_width();
  return static_cast<float>(std::min(threshold, static_cast<double>(histogram.range())));
}

float int8_scale(float amax) {
  if (!(std::isfinite(amax) && amax > 0.0f))
    throw Error("INT8 calibration: amax must be finite and positive, got " + std::to_string(amax) +
                " (a tensor that is zero on every calibration batch has no scale)");
  return amax / static_cast<float>(kInt8PositiveLevels);
}

float calibrate_int8_scale(const AbsHistogram& histogram, CalibrationMethod method, double percentile) {
  switch (method) {
    case CalibrationMethod::kMinMax: return int8_scale(min_max_amax(histogram));
    case CalibrationMethod::kPercentile: return int8_scale(percentile_amax(histogram, percentile));
    case CalibrationMethod::kEntropy: return int8_scale(entropy_amax(histogram));
  }
  throw Error("calibration: unknown method " + std::to_string(static_cast<int>(method)));
}

}  // namespace kiln
