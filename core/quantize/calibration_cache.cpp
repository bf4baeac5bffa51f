#include "quantize/calibration_cache.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "util/error.hpp"

namespace kiln {

namespace {

const std::string kHeaderPrefix = "# kiln calibration cache v";

std::string header_line(CalibrationMethod method) {
  return kHeaderPrefix + std::to_string(kCalibrationCacheVersion) + " method=" + calibration_method_name(method);
}

bool usable_scale(float scale) { return std::isfinite(scale) && scale > 0.0f; }

// Shortest round-trip form; unlike printf it ignores the C locale's decimal separator.
std::string scale_text(float scale) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), scale);
  return std::string(buffer, end);
}

class LineError {
 public:
  explicit LineError(const std::string& source) : source_(source) {}
  void at(int line) { line_ = line; }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(source_ + ":" + std::to_string(line_) + ": " + what);
  }

 private:
  const std::string& source_;
  int line_ = 0;
};

CalibrationMethod parse_header(const std::string& line, const LineError& error) {
  if (line.rfind(kHeaderPrefix, 0) != 0)
    error.fail("not a kiln calibration cache (expected a first line '" + header_line(CalibrationMethod::kEntropy) +
               "')");
  const std::string rest = line.substr(kHeaderPrefix.size());
  const std::string version = rest.substr(0, rest.find(' '));
  if (version != std::to_string(kCalibrationCacheVersion))
    error.fail("calibration cache format version '" + version + "' is not supported (this build reads version " +
               std::to_string(kCalibrationCacheVersion) + ")");
  const std::string method_key = " method=";
  if (rest.compare(version.size(), method_key.size(), method_key) != 0)
    error.fail("the header names no method (expected '" + header_line(CalibrationMethod::kEntropy) + "')");
  try {
    return calibration_method_from_name(rest.substr(version.size() + method_key.size()));
  } catch (const Error& unknown) {
    error.fail(unknown.what());
  }
}

float parse_scale(const std::string& text, const LineError& error) {
  float scale = 0.0f;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, scale);
  if (ec == std::errc::result_out_of_range) error.fail("scale '" + text + "' is outside the float range");
  if (ec != std::errc() || stop != end || text.empty()) error.fail("scale '" + text + "' is not a number");
  if (!usable_scale(scale)) error.fail("scale '" + text + "' must be finite and positive");
  return scale;
}

void parse_entry(const std::string& line, CalibrationCache& cache, const LineError& error) {
  const size_t colon = line.rfind(':');
  if (colon == std::string::npos || colon + 1 >= line.size() || line[colon + 1] != ' ')
    error.fail("malformed entry '" + line + "' (expected 'NAME: SCALE')");
  if (colon == 0) error.fail("entry '" + line + "' has an empty tensor name");
  const std::string name = line.substr(0, colon);
  const float scale = parse_scale(line.substr(colon + 2), error);
  if (!cache.scales.emplace(name, scale).second) error.fail("tensor '" + name + "' appears twice");
}

bool blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

}  // namespace

std::string format_calibration_cache(const CalibrationCache& cache) {
  std::string text = header_line(cache.method) + "\n";
  for (const auto& [name, scale] : cache.scales) {
    if (name.empty() || name.find_first_of("\n\r") != std::string::npos)
      throw Error("calibration cache: tensor name '" + name + "' cannot be written (empty or holds a line break)");
    if (!usable_scale(scale))
      throw Error("calibration cache: tensor '" + name + "' has scale " + std::to_string(scale) +
                  "; a scale must be finite and positive");
    text += name + ": " + scale_text(scale) + "\n";
  }
  return text;
}

CalibrationCache parse_calibration_cache(const std::string& text, const std::string& source) {
  CalibrationCache cache;
  LineError error(source);
  std::istringstream in(text);
  std::string line;
  int number = 0;
  bool saw_header = false;
  while (std::getline(in, line)) {
    error.at(++number);
    if (!line.empty() && line.back() == '\r') line.pop_back();  // a file edited on Windows still reads
    if (!saw_header) {
      cache.method = parse_header(line, error);
      saw_header = true;
    } else if (!blank(line)) {
      parse_entry(line, cache, error);
    }
  }
  if (!saw_header) {
    error.at(1);
    error.fail("empty file (expected a first line '" + header_line(CalibrationMethod::kEntropy) + "')");
  }
  return cache;
}

void write_calibration_cache(const CalibrationCache& cache, const std::string& path) {
  const std::string text = format_calibration_cache(cache);
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  if (!out) throw Error(path + ": cannot write the calibration cache");
  out << text;
  if (!out.flush()) throw Error(path + ": cannot write the calibration cache");
}

CalibrationCache read_calibration_cache(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read the calibration cache");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_calibration_cache(text.str(), path);
}

}  // namespace kiln
