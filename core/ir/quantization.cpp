#include "ir/quantization.hpp"

#include <algorithm>
#include <cstdio>

namespace kiln {

namespace {

std::string short_float(float f) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", static_cast<double>(f));
  return text;
}

}  // namespace

Quantization Quantization::per_tensor(float scale, int32_t zero_point, DataType dtype) {
  Quantization q;
  q.scales = {scale};
  q.zero_points = {zero_point};
  q.dtype = dtype;
  return q;
}

bool Quantization::operator==(const Quantization& other) const {
  return axis == other.axis && scales == other.scales && zero_points == other.zero_points && dtype == other.dtype;
}

std::string Quantization::describe() const {
  std::string text;
  if (scales.empty()) return "no scales";
  if (per_tensor()) {
    text += "scale " + short_float(scales[0]);
    if (zero_points[0] != 0) text += " zero point " + std::to_string(zero_points[0]);
    return text;
  }
  const auto [low, high] = std::minmax_element(scales.begin(), scales.end());
  text += "per axis " + std::to_string(axis) + " (" + std::to_string(scales.size()) + " scales " + short_float(*low) +
          ".." + short_float(*high) + ")";
  if (std::any_of(zero_points.begin(), zero_points.end(), [](int32_t z) { return z != 0; })) text += " with zero points";
  return text;
}

}  // namespace kiln
