#include "common/space_to_depth_window.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace kiln::cuda {

namespace {

int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

}  // namespace

PackedWindowDim PackedWindowDim::of(int64_t kernel, int64_t pad) {
  const int64_t first = floor_div(-pad, kSpaceToDepthBlock), last = floor_div(kernel - 1 - pad, kSpaceToDepthBlock);
  return PackedWindowDim{last - first + 1, -first};
}

std::vector<int8_t> space_to_depth_weights(const std::vector<int8_t>& krsc, const std::vector<int64_t>& kcrs_dims,
                                           int64_t pad_h, int64_t pad_w, int64_t packed_c) {
  const int64_t k = kcrs_dims.at(0), c = kcrs_dims.at(1), r = kcrs_dims.at(2), s = kcrs_dims.at(3);
  constexpr int64_t b2 = kSpaceToDepthBlock;
  if (c * b2 * b2 > packed_c || static_cast<int64_t>(krsc.size()) != k * r * s * c)
    throw std::invalid_argument("space_to_depth_weights: " + std::to_string(c) + " channels into " + std::to_string(packed_c));
  const PackedWindowDim ph = PackedWindowDim::of(r, pad_h), pw = PackedWindowDim::of(s, pad_w);
  std::vector<int8_t> out(static_cast<size_t>(k * ph.kernel * pw.kernel * packed_c), 0);
  for (int64_t m = 0; m < k; ++m)
    for (int64_t ti = 0; ti < ph.kernel; ++ti)
      for (int64_t tj = 0; tj < pw.kernel; ++tj)
        for (int64_t a = 0; a < b2; ++a)
          for (int64_t b = 0; b < b2; ++b) {
            const int64_t tap_r = b2 * (ti - ph.pad) + a + pad_h, tap_s = b2 * (tj - pw.pad) + b + pad_w;
            if (tap_r < 0 || tap_r >= r || tap_s < 0 || tap_s >= s) continue;
            const auto from = krsc.begin() + ((m * r + tap_r) * s + tap_s) * c;
            std::copy_n(from, c, out.begin() + ((m * ph.kernel + ti) * pw.kernel + tj) * packed_c + (a * b2 + b) * c);
          }
  return out;
}

}  // namespace kiln::cuda
