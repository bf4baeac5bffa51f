// The reference pack's INT8 arithmetic (docs/quantization.md), as the INT8 test kernels of tests/plugin_check/
// compute it: W's integers per output channel, and reals written to an int8/uint8 or float32 Y.
#ifndef KILN_TEST_PLUGIN_CHECK_INT8_TEST_MATH_HPP
#define KILN_TEST_PLUGIN_CHECK_INT8_TEST_MATH_HPP

#include <algorithm>
#include <cmath>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln_test {

struct ChannelWeights {
  std::vector<int64_t> q;      // W's integers, in W's own order
  std::vector<double> scales;  // one per output channel
};

// `maps` output channels of `size` weights each: on W's own grid when `grid` is present, else quantized
// symmetric with scale max|w| / 127 (in double; a channel of zeros gets 1), as the reference pack does.
inline ChannelWeights channel_weights(const float* w, int64_t maps, int64_t size, const kiln::Quantization& grid = {}) {
  ChannelWeights out;
  for (int64_t m = 0; m < maps; ++m) {
    double largest = 0;
    for (int64_t i = 0; i < size; ++i) largest = std::max(largest, std::abs(static_cast<double>(w[m * size + i])));
    const double scale = grid.present() ? grid.scale(m) : largest > 0 ? largest / 127.0 : 1.0;
    out.scales.push_back(scale);
    for (int64_t i = 0; i < size; ++i)
      out.q.push_back(static_cast<int64_t>(std::clamp(std::nearbyint(w[m * size + i] / scale), -127.0, 127.0)));
  }
  return out;
}

// `real` written at element `at` of Y: as is for float32, else saturate(round_half_even(real / scale) + zero)
// on Y's grid `q`.
inline void store_real(const kiln::Tensor& y, int64_t at, double real, const kiln::Quantization& q) {
  if (y.dtype() == KILN_DTYPE_FLOAT32) {
    y.data<float>()[at] = static_cast<float>(real);
    return;
  }
  const bool u8 = y.dtype() == KILN_DTYPE_UINT8;
  const double integer = std::clamp(std::nearbyint(real / q.scales[0]) + q.zero_points[0], u8 ? 0.0 : -128.0, u8 ? 255.0 : 127.0);
  if (u8) y.data<uint8_t>()[at] = static_cast<uint8_t>(integer);
  else y.data<int8_t>()[at] = static_cast<int8_t>(integer);
}

}  // namespace kiln_test

#endif  // KILN_TEST_PLUGIN_CHECK_INT8_TEST_MATH_HPP
