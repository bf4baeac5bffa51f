// The INT8 calibration cache: one scale per tensor in a text file a person can read and diff, so a build can
// skip calibration and a reviewer can see what it chose. The format (v1):
//
//   # kiln calibration cache v1 method=entropy
//   conv1_output: 0.0123456791
//   relu_2: 0.00784313772
//
// The first line names the format version and the method; every other line is `NAME: SCALE`. The split is at
// the line's last ':', so a name may itself contain ':'. SCALE is the shortest decimal that reads back as the
// same float (std::to_chars), so a round trip is exact; it must be finite and positive. Blank lines are
// ignored; a name may appear once.
#ifndef KILN_CORE_QUANTIZE_CALIBRATION_CACHE_HPP
#define KILN_CORE_QUANTIZE_CALIBRATION_CACHE_HPP

#include <map>
#include <string>

#include "quantize/calibrators.hpp"

namespace kiln {

struct CalibrationCache {
  CalibrationMethod method = CalibrationMethod::kEntropy;
  std::map<std::string, float> scales;  // tensor name -> INT8 scale (amax / 127)
};

constexpr int kCalibrationCacheVersion = 1;

// Throws kiln::Error for a name that is empty or holds a line break, or a scale that is not finite and
// positive: what the reader would refuse is never written.
std::string format_calibration_cache(const CalibrationCache& cache);
// `source` names the text in errors, which read "SOURCE:LINE: what is wrong".
CalibrationCache parse_calibration_cache(const std::string& text, const std::string& source);

void write_calibration_cache(const CalibrationCache& cache, const std::string& path);
CalibrationCache read_calibration_cache(const std::string& path);

}  // namespace kiln

#endif  // KILN_CORE_QUANTIZE_CALIBRATION_CACHE_HPP
