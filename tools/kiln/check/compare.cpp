#include "compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ir/element_values.hpp"

namespace kiln::check {

std::string Tolerance::describe() const {
  if (relative == 0)
    return steps == 0 ? "exact" : "within " + std::to_string(static_cast<int64_t>(steps)) + " integer step(s)";
  char buffer[64];
  if (floor == 1) std::snprintf(buffer, sizeof buffer, "%.0e x max(|expected|, 1)", relative);
  else std::snprintf(buffer, sizeof buffer, "%.0e x max(|expected|, %.2g)", relative, floor);
  return buffer;
}

Tolerance tolerance_for(DataType dtype, bool quantized_kernel, double scale) {
  switch (dtype) {
    case KILN_DTYPE_FLOAT32: return {1e-4 * scale, 0, 1};
    case KILN_DTYPE_FLOAT16: return {1e-2 * scale, 0, 1};
    case KILN_DTYPE_BFLOAT16: return {3e-2 * scale, 0, 1};
    case KILN_DTYPE_FLOAT64: return {1e-9 * scale, 0, 1};
    case KILN_DTYPE_INT8: case KILN_DTYPE_UINT8: return {0, quantized_kernel ? 1.0 : 0.0, 1};
    default: return {0, 0, 1};
  }
}

namespace {

// How far an element is off, as a multiple of what it is allowed (0 when equal, > 1 when it fails).
double excess(double error, double expected, const Tolerance& t) {
  if (error == 0) return 0;
  if (std::isinf(error) || std::isnan(error)) return INFINITY;
  if (t.relative > 0) return error / (t.relative * std::max(std::abs(expected), t.floor));
  return t.steps > 0 ? error / t.steps : INFINITY;
}

double error_of(double a, double e) {
  if (std::isnan(a) || std::isnan(e)) return std::isnan(a) && std::isnan(e) ? 0 : INFINITY;
  if (std::isinf(a) || std::isinf(e)) return a == e ? 0 : INFINITY;
  return std::abs(a - e);
}

}  // namespace

Comparison compare(const Tensor& actual, const Tensor& expected, const Tolerance& tolerance) {
  Comparison c;
  if (actual.dtype() != expected.dtype() || actual.dims() != expected.dims()) {
    c.ok = false;
    c.problem = "is " + actual.describe() + ", the reference's " + expected.describe();
    return c;
  }
  double worst_excess = -1;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const double a = element_at(actual, i), e = element_at(expected, i);
    const double error = error_of(a, e);
    c.worst_abs = std::max(c.worst_abs, error);
    c.worst_rel = std::max(c.worst_rel, error / std::max(std::abs(e), 1.0));
    const double x = excess(error, e, tolerance);
    if (x > worst_excess) worst_excess = x, c.worst_at = i, c.actual = a, c.expected = e;
  }
  c.ok = worst_excess <= 1;
  return c;
}

std::string index_in(const std::vector<int64_t>& dims, int64_t flat) {
  std::vector<int64_t> index(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    if (dims[d] > 0) index[d] = flat % dims[d], flat /= dims[d];
  }
  std::string s = "[";
  for (size_t d = 0; d < index.size(); ++d) s += (d ? "," : "") + std::to_string(index[d]);
  return s + "]";
}

}  // namespace kiln::check
