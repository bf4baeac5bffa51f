// INT8 calibration math, each method against an independent reference: min-max against max|x| itself,
// percentile against sorting the raw values, entropy against known shapes and against a separate numpy
// implementation (tests/unit/data/entropy_reference.py); histograms built batch by batch against one batch;
// the calibration cache through its file, exactly, and its refusals naming file:line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "quantize/calibration_cache.hpp"
#include "quantize/calibrators.hpp"
#include "quantize/histogram.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

namespace fs = std::filesystem;

std::vector<float> gaussian(size_t count, float sigma, unsigned seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> normal(0.0f, sigma);
  std::vector<float> values(count);
  for (float& value : values) value = normal(engine);
  return values;
}

float largest_magnitude(const std::vector<float>& values) {
  float largest = 0.0f;
  for (float value : values) largest = std::max(largest, std::fabs(value));
  return largest;
}

AbsHistogram histogram_of(const std::vector<float>& values) {
  AbsHistogram histogram;
  histogram.add(values.data(), values.size());
  return histogram;
}

// The percentile as the rank-ceil(p/100 * n) smallest |x| (1-based): what percentile_amax approximates.
float sorted_percentile(const std::vector<float>& values, double percentile) {
  std::vector<float> magnitudes(values.size());
  std::transform(values.begin(), values.end(), magnitudes.begin(), [](float v) { return std::fabs(v); });
  std::sort(magnitudes.begin(), magnitudes.end());
  const auto rank = static_cast<size_t>(std::ceil(percentile / 100.0 * static_cast<double>(magnitudes.size())));
  return magnitudes[std::max<size_t>(rank, 1) - 1];
}

template <typename Action>
std::string error_of(Action action) {
  try {
    action();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

// ---- histogram ----

TEST(CalibrationHistogram, CountsEveryValueAndTracksSignedExtremes) {
  const std::vector<float> values = gaussian(10000, 3.0f, 1);
  const AbsHistogram histogram = histogram_of(values);
  EXPECT_EQ(histogram.num_bins(), 2048);
  EXPECT_EQ(histogram.total(), values.size());
  uint64_t counted = 0;
  for (uint64_t count : histogram.counts()) counted += count;
  EXPECT_EQ(counted, values.size());
  EXPECT_EQ(histogram.min(), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(histogram.max(), *std::max_element(values.begin(), values.end()));
  EXPECT_EQ(histogram.range(), largest_magnitude(values));
  EXPECT_GT(histogram.counts().back(), 0u);  // the largest |x| lands in the last bin, not past it
}

TEST(CalibrationHistogram, RefusesNonFiniteValuesAndChangesNothing) {
  AbsHistogram histogram;
  const std::vector<float> good = {1.0f, -2.0f};
  histogram.add(good.data(), good.size());
  const std::vector<float> bad = {0.5f, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_NE(error_of([&] { histogram.add(bad.data(), bad.size()); }).find("value 1 of the batch is not finite"),
            std::string::npos);
  const std::vector<float> infinite = {std::numeric_limits<float>::infinity()};
  EXPECT_THROW(histogram.add(infinite.data(), infinite.size()), Error);
  EXPECT_EQ(histogram.total(), 2u);
  EXPECT_EQ(histogram.range(), 2.0f);
  EXPECT_THROW(AbsHistogram(0), Error);
}

// Batches whose largest |x| grows force re-binning; the result must match one histogram of everything: the
// same total and extremes, the same min-max exactly, and percentiles within one bin (re-binning moves each old
// bin whole into the new bin holding its centre, so a value can shift by at most one new bin).
TEST(CalibrationHistogram, MergingGrowingBatchesMatchesOneBigBatch) {
  std::vector<float> everything;
  AbsHistogram merged;
  const float sigmas[] = {0.1f, 0.5f, 0.4f, 2.0f, 7.0f};
  for (unsigned batch = 0; batch < 5; ++batch) {
    const std::vector<float> values = gaussian(20000, sigmas[batch], 100 + batch);
    merged.add(values.data(), values.size());
    everything.insert(everything.end(), values.begin(), values.end());
  }
  const AbsHistogram whole = histogram_of(everything);
  EXPECT_EQ(merged.total(), whole.total());
  uint64_t counted = 0;
  for (uint64_t count : merged.counts()) counted += count;
  EXPECT_EQ(counted, everything.size());
  EXPECT_EQ(merged.range(), whole.range());
  EXPECT_EQ(merged.min(), whole.min());
  EXPECT_EQ(merged.max(), whole.max());
  EXPECT_EQ(min_max_amax(merged), min_max_amax(whole));
  for (double percentile : {50.0, 90.0, 99.0, 99.9, 99.99}) {
    SCOPED_TRACE(percentile);
    EXPECT_LE(std::fabs(percentile_amax(merged, percentile) - percentile_amax(whole, percentile)),
              whole.bin_width() * 1.0001);
  }
}

// ---- min-max and percentile ----

TEST(CalibrationMinMax, IsExactlyTheLargestMagnitudeOverAllBatches) {
  AbsHistogram histogram;
  std::vector<float> everything;
  for (unsigned batch = 0; batch < 4; ++batch) {
    std::vector<float> values = gaussian(5000, 1.0f + batch, 7 + batch);
    if (batch == 2) values[17] = -31.25f;  // the largest magnitude is negative
    histogram.add(values.data(), values.size());
    everything.insert(everything.end(), values.begin(), values.end());
  }
  EXPECT_EQ(min_max_amax(histogram), largest_magnitude(everything));
  EXPECT_EQ(min_max_amax(histogram), 31.25f);
  EXPECT_EQ(calibrate_int8_scale(histogram, CalibrationMethod::kMinMax), 31.25f / 127.0f);
}

// The histogram knows only which bin the percentile's order statistic fell into, not where inside it; it
// answers that bin's upper edge, so it is never below the sorted answer and at most one bin width above it.
TEST(CalibrationPercentile, IsWithinOneBinAboveTheSortedValue) {
  std::vector<float> values = gaussian(100000, 2.0f, 42);
  for (size_t i = 0; i < values.size(); i += 997) values[i] *= 20.0f;  // a heavy tail, so percentiles differ
  const AbsHistogram histogram = histogram_of(values);
  for (double percentile : {1.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    SCOPED_TRACE(percentile);
    const float exact = sorted_percentile(values, percentile);
    const float approximate = percentile_amax(histogram, percentile);
    EXPECT_GE(approximate, exact * (1.0f - 1e-6f));
    EXPECT_LE(approximate - exact, histogram.bin_width() * 1.0001);
  }
  EXPECT_EQ(percentile_amax(histogram, 100.0), largest_magnitude(values));
  EXPECT_THROW(percentile_amax(histogram, 0.0), Error);
  EXPECT_THROW(percentile_amax(histogram, 100.5), Error);
}

// ---- entropy ----

TEST(CalibrationEntropy, KeepsNearlyTheWholeRangeOfUniformData) {
  std::mt19937 engine(3);
  std::uniform_real_distribution<float> uniform(-4.0f, 4.0f);
  std::vector<float> values(200000);
  for (float& value : values) value = uniform(engine);
  const AbsHistogram histogram = histogram_of(values);
  EXPECT_GE(entropy_amax(histogram), 0.98f * min_max_amax(histogram));
  EXPECT_LE(entropy_amax(histogram), min_max_amax(histogram));
}

// A Gaussian (sigma 1) plus five values at 100x: min-max spends the whole INT8 range on the outliers; entropy
// clips them. Its floor is the 128th bin (6.25 sigma here), so "near the tail" means between 3 and 8 sigma.
TEST(CalibrationEntropy, ClipsRareOutliersNearTheGaussianTail) {
  std::vector<float> values = gaussian(100000, 1.0f, 9);
  for (size_t i = 0; i < 5; ++i) values[i * 10007] = (i % 2 ? -100.0f : 100.0f);
  const AbsHistogram histogram = histogram_of(values);
  const float min_max = min_max_amax(histogram);
  const float entropy = entropy_amax(histogram);
  EXPECT_EQ(min_max, 100.0f);
  EXPECT_LT(entropy, 0.1f * min_max);
  EXPECT_GE(entropy, 3.0f);
  EXPECT_LE(entropy, 8.0f);
}

// The generators of tests/unit/data/entropy_reference.py, in integers only so both build identical counts.
class Lcg {
 public:
  explicit Lcg(uint64_t seed) : state_(seed) {}
  uint64_t next31() {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return state_ >> 33;
  }

 private:
  uint64_t state_;
};

constexpr uint64_t kBins = 2048;
constexpr uint64_t kHalfRange = uint64_t{1} << 31;

std::vector<uint64_t> reference_gaussian(uint64_t seed, int samples, uint64_t terms, uint64_t squeeze = 1) {
  Lcg rng(seed);
  std::vector<uint64_t> hist(kBins, 0);
  for (int n = 0; n < samples; ++n) {
    uint64_t total = 0;
    for (uint64_t t = 0; t < terms; ++t) total += rng.next31();
    const int64_t twice_deviation = static_cast<int64_t>(2 * total) - static_cast<int64_t>(terms * kHalfRange);
    const uint64_t deviation = static_cast<uint64_t>(std::llabs(twice_deviation));
    ++hist[std::min(kBins - 1, deviation * kBins / (terms * kHalfRange * squeeze + 1))];
  }
  return hist;
}

std::vector<uint64_t> reference_gaussian_with_outliers(uint64_t seed, int samples, uint64_t terms, int outliers,
                                                       uint64_t squeeze = 1) {
  std::vector<uint64_t> hist = reference_gaussian(seed, samples, terms, squeeze);
  Lcg rng(seed ^ 0x5DEECE66Dull);
  for (int n = 0; n < outliers; ++n) ++hist[kBins - 1 - rng.next31() % 64];
  return hist;
}

std::vector<uint64_t> reference_triangle_even_bins(uint64_t seed, int samples) {
  Lcg rng(seed);
  std::vector<uint64_t> hist(kBins, 0);
  for (int n = 0; n < samples; ++n) {
    const int64_t a = static_cast<int64_t>(rng.next31());
    const int64_t b = static_cast<int64_t>(rng.next31());
    const uint64_t bin = static_cast<uint64_t>(std::llabs(a - b)) * kBins / kHalfRange;
    ++hist[std::min(kBins - 2, bin - bin % 2)];
  }
  return hist;
}

uint64_t total_of(const std::vector<uint64_t>& hist) {
  uint64_t total = 0;
  for (uint64_t count : hist) total += count;
  return total;
}

// Expected bins from: python3 tests/unit/data/entropy_reference.py (numpy 2.4.6), which printed
//   gaussian seed 1: total=100000 bin=1431 amax=0.698974609
//   gaussian seed 7 (4 terms): total=50000 bin=2039 amax=0.995849609
//   gaussian seed 3 + 40 outliers: total=100040 bin=2048 amax=1.00024414
//   narrow gaussian seed 5 (squeeze 16) + 10 outliers: total=100010 bin=128 amax=0.0627441406
//   triangle on even bins seed 11: total=60000 bin=2034 amax=0.993408203
TEST(CalibrationEntropy, AgreesWithTheNumpyReference) {
  struct Case {
    const char* name;
    std::vector<uint64_t> hist;
    uint64_t total;
    int bin;
  };
  const Case cases[] = {
      {"gaussian seed 1", reference_gaussian(1, 100000, 12), 100000, 1431},
      {"gaussian seed 7 (4 terms)", reference_gaussian(7, 50000, 4), 50000, 2039},
      {"gaussian seed 3 + 40 outliers", reference_gaussian_with_outliers(3, 100000, 12, 40), 100040, 2048},
      {"narrow gaussian seed 5 + 10 outliers", reference_gaussian_with_outliers(5, 100000, 12, 10, 16), 100010, 128},
      {"triangle on even bins seed 11", reference_triangle_even_bins(11, 60000), 60000, 2034},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(total_of(c.hist), c.total);  // the generators agree with the script's
    EXPECT_EQ(entropy_threshold_bin(c.hist), c.bin);
  }
}

TEST(CalibrationEntropy, RefusesTooFewBinsAndEmptyHistograms) {
  EXPECT_THROW(entropy_threshold_bin(std::vector<uint64_t>(100, 1)), Error);
  EXPECT_THROW(entropy_threshold_bin(std::vector<uint64_t>(2048, 0)), Error);
  EXPECT_THROW(entropy_amax(AbsHistogram()), Error);
  EXPECT_THROW(min_max_amax(AbsHistogram()), Error);
}

TEST(CalibrationScale, IsAmaxOver127AndRefusesZeroOrNonFinite) {
  EXPECT_EQ(int8_scale(12.7f), 12.7f / 127.0f);
  EXPECT_THROW(int8_scale(0.0f), Error);
  EXPECT_THROW(int8_scale(-1.0f), Error);
  EXPECT_THROW(int8_scale(std::numeric_limits<float>::infinity()), Error);
  EXPECT_THROW(int8_scale(std::numeric_limits<float>::quiet_NaN()), Error);
  AbsHistogram zeros;
  const std::vector<float> values(64, 0.0f);
  zeros.add(values.data(), values.size());
  EXPECT_NE(error_of([&] { calibrate_int8_scale(zeros, CalibrationMethod::kEntropy); }).find("zero on every"),
            std::string::npos);
}

// ---- calibration cache ----

fs::path fresh_path(const std::string& name) {
  const fs::path path = fs::absolute(testing::TempDir()) / "calibration_test" / name;
  fs::create_directories(path.parent_path());
  fs::remove(path);
  return path;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }

TEST(CalibrationCache, RoundTripsEveryScaleBitForBit) {
  CalibrationCache cache;
  cache.method = CalibrationMethod::kPercentile;
  std::mt19937 engine(5);
  std::uniform_real_distribution<float> exponent(-30.0f, 30.0f);
  for (int i = 0; i < 500; ++i) cache.scales["tensor_" + std::to_string(i)] = std::exp2(exponent(engine));
  cache.scales["name:with:colons and spaces"] = 1.0f / 3.0f;
  cache.scales["smallest"] = std::numeric_limits<float>::denorm_min();
  cache.scales["largest"] = std::numeric_limits<float>::max();
  const fs::path path = fresh_path("round_trip.calib");
  write_calibration_cache(cache, path.string());
  const CalibrationCache again = read_calibration_cache(path.string());
  EXPECT_EQ(again.method, CalibrationMethod::kPercentile);
  ASSERT_EQ(again.scales.size(), cache.scales.size());
  for (const auto& [name, scale] : cache.scales) {
    SCOPED_TRACE(name);
    ASSERT_EQ(again.scales.count(name), 1u);
    EXPECT_TRUE(same_bits(again.scales.at(name), scale)) << again.scales.at(name) << " vs " << scale;
  }
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "# kiln calibration cache v1 method=percentile");
}

TEST(CalibrationCache, RefusesMalformedFilesNamingFileAndLine) {
  const std::string header = "# kiln calibration cache v1 method=entropy\n";
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {"", "bad.calib:1: empty file"},
      {"conv: 0.5\n", "bad.calib:1: not a kiln calibration cache"},
      {"# kiln calibration cache v2 method=entropy\n", "bad.calib:1: calibration cache format version '2'"},
      {"# kiln calibration cache v1 method=magic\n", "bad.calib:1: calibration: unknown method 'magic'"},
      {"# kiln calibration cache v1\n", "bad.calib:1: the header names no method"},
      {header + "a: 0.5\nno colon here\n", "bad.calib:3: malformed entry 'no colon here'"},
      {header + "a:0.5\n", "bad.calib:2: malformed entry"},
      {header + ": 0.5\n", "bad.calib:2: entry ': 0.5' has an empty tensor name"},
      {header + "a: 0.5\n\nb: 0.25\na: 0.5\n", "bad.calib:5: tensor 'a' appears twice"},
      {header + "a: 0\n", "bad.calib:2: scale '0' must be finite and positive"},
      {header + "a: -0.5\n", "bad.calib:2: scale '-0.5' must be finite and positive"},
      {header + "a: inf\n", "bad.calib:2: scale 'inf' must be finite and positive"},
      {header + "a: nan\n", "bad.calib:2: scale 'nan' must be finite and positive"},
      {header + "a: 1e99\n", "bad.calib:2: scale '1e99' is outside the float range"},
      {header + "a: 0.5x\n", "bad.calib:2: scale '0.5x' is not a number"},
      {header + "a: \n", "bad.calib:2: scale '' is not a number"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const std::string message = error_of([&] { parse_calibration_cache(c.text, "bad.calib"); });
    EXPECT_EQ(message.rfind(c.expected, 0), 0u) << message;
  }
  const fs::path path = fresh_path("duplicate.calib");
  std::ofstream(path) << header << "x: 1\nx: 2\n";
  EXPECT_EQ(error_of([&] { read_calibration_cache(path.string()); }), path.string() + ":3: tensor 'x' appears twice");
  EXPECT_NE(error_of([&] { read_calibration_cache(fresh_path("missing.calib").string()); }).find("cannot read"),
            std::string::npos);
}

TEST(CalibrationCache, RefusesToWriteWhatItCouldNotReadBack) {
  CalibrationCache cache;
  cache.scales["ok"] = 0.5f;
  cache.scales["line\nbreak"] = 0.5f;
  EXPECT_THROW(format_calibration_cache(cache), Error);
  cache.scales.erase("line\nbreak");
  cache.scales["zero"] = 0.0f;
  EXPECT_THROW(format_calibration_cache(cache), Error);
  cache.scales.erase("zero");
  EXPECT_EQ(format_calibration_cache(cache), "# kiln calibration cache v1 method=entropy\nok: 0.5\n");
}

}  // namespace
}  // namespace kiln
