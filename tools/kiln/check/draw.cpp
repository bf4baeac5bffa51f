#include "draw.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ir/element_values.hpp"

namespace kiln::check {

int64_t Draw::integer(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }

double Draw::real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }

bool Draw::chance(double p) { return real(0, 1) < p; }

std::vector<int64_t> Draw::dims(int rank, int64_t lo, int64_t hi) {
  std::vector<int64_t> d(static_cast<size_t>(rank));
  for (int64_t& x : d) x = integer(lo, hi);
  return d;
}

std::vector<int64_t> Draw::permutation(int n) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  std::shuffle(p.begin(), p.end(), rng_);
  return p;
}

namespace {

// The range of integer dtypes, so that a draw in [lo, hi] never wraps around.
void clamp_to(DataType dtype, double& lo, double& hi) {
  double min = -1e18, max = 1e18;
  switch (dtype) {
    case KILN_DTYPE_INT8: min = -128, max = 127; break;
    case KILN_DTYPE_INT16: min = -32768, max = 32767; break;
    case KILN_DTYPE_UINT8: case KILN_DTYPE_UINT16: case KILN_DTYPE_UINT32: case KILN_DTYPE_UINT64: min = 0; break;
    case KILN_DTYPE_BOOL: min = 0, max = 1; break;
    default: break;
  }
  if (dtype == KILN_DTYPE_UINT8) max = 255;
  lo = std::max(lo, min);
  hi = std::min(hi, max);
  if (hi < lo) hi = lo;
}

}  // namespace

Tensor Draw::tensor(DataType dtype, std::vector<int64_t> dims, double lo, double hi) {
  Tensor t(dtype, std::move(dims));
  if (is_real(dtype)) {
    for (int64_t i = 0; i < t.numel(); ++i) set_element(t, i, real(lo, hi));
    return t;
  }
  clamp_to(dtype, lo, hi);
  const auto low = static_cast<int64_t>(std::ceil(lo)), high = static_cast<int64_t>(std::floor(hi));
  for (int64_t i = 0; i < t.numel(); ++i) set_element(t, i, static_cast<double>(integer(low, std::max(low, high))));
  return t;
}

uint64_t case_seed(uint64_t seed, const std::string& kernel, int index) {
  uint64_t h = 1469598103934665603ull ^ seed;  // FNV-1a over the kernel's name, then the index
  for (char c : kernel) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return (h ^ static_cast<uint64_t>(index)) * 0x9E3779B97F4A7C15ull;
}

}  // namespace kiln::check
