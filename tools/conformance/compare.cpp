#include "compare.hpp"

#include <cmath>
#include <cstring>

#include "ir/element_values.hpp"

namespace kiln::conformance {

std::string compare(const Tensor& actual, const Tensor& expected, double rtol, double atol) {
  if (actual.dtype() != expected.dtype())
    return "dtype " + dtype_name(actual.dtype()) + ", expected " + dtype_name(expected.dtype());
  if (actual.dims() != expected.dims())
    return "shape " + format_dims(actual.dims()) + ", expected " + format_dims(expected.dims());
  const int64_t n = actual.numel();
  if (!is_real(actual.dtype())) {
    const size_t size = dtype_size(actual.dtype());
    for (int64_t i = 0; i < n; ++i) {
      const auto* a = static_cast<const uint8_t*>(actual.data()) + i * size;
      const auto* e = static_cast<const uint8_t*>(expected.data()) + i * size;
      const bool same = actual.dtype() == KILN_DTYPE_BOOL ? ((*a != 0) == (*e != 0)) : std::memcmp(a, e, size) == 0;
      if (!same) return "element " + std::to_string(i) + " differs (exact comparison)";
    }
    return "";
  }
  int64_t bad = -1, bad_count = 0;
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double a = element_at(actual, i), e = element_at(expected, i);
    if (std::isnan(a) && std::isnan(e)) continue;
    if (std::isinf(a) || std::isinf(e) ? a != e : std::fabs(a - e) > atol + rtol * std::fabs(e)) {
      if (bad < 0) bad = i;
      ++bad_count;
      worst = std::isnan(a) || std::isnan(e) ? INFINITY : std::max(worst, std::fabs(a - e));
    }
  }
  if (bad < 0) return "";
  return std::to_string(bad_count) + " of " + std::to_string(n) + " elements differ; first at " + std::to_string(bad) +
         ": got " + std::to_string(element_at(actual, bad)) + ", expected " + std::to_string(element_at(expected, bad)) +
         "; worst abs error " + std::to_string(worst);
}

}  // namespace kiln::conformance
