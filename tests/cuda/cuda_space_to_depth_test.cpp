// The space-to-depth first layer's arithmetic (plugins/cuda/common/space_to_depth_window.hpp), on the host: a
// stride-2 convolution of random int8 images must give exactly the same int32 sums as the stride-1 convolution of
// the packed image with the packed weights, for every window size, padding, odd and even image size, and 1-4
// channels. Needs no GPU.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "common/space_to_depth_window.hpp"

namespace {

using kiln::cuda::PackedWindowDim;

struct Image {
  int64_t n, h, w, c;
  std::vector<int8_t> v;  // NHWC
  int at(int64_t i, int64_t y, int64_t x, int64_t k) const {
    return y < 0 || y >= h || x < 0 || x >= w ? 0 : v[static_cast<size_t>(((i * h + y) * w + x) * c + k)];
  }
};

// Sums of a convolution over `x` by KRSC weights, output oh x ow, stride, pad before (after: whatever the bounds give).
std::vector<int32_t> conv_sums(const Image& x, const std::vector<int8_t>& w, int64_t k, int64_t r, int64_t s, int64_t stride,
                               int64_t pad_h, int64_t pad_w, int64_t oh, int64_t ow) {
  std::vector<int32_t> out;
  for (int64_t i = 0; i < x.n; ++i)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t z = 0; z < ow; ++z)
        for (int64_t m = 0; m < k; ++m) {
          int32_t sum = 0;
          for (int64_t a = 0; a < r; ++a)
            for (int64_t b = 0; b < s; ++b)
              for (int64_t ch = 0; ch < x.c; ++ch)
                sum += x.at(i, y * stride - pad_h + a, z * stride - pad_w + b, ch) * w[static_cast<size_t>(((m * r + a) * s + b) * x.c + ch)];
          out.push_back(sum);
        }
  return out;
}

// The packed image, written out from its definition: pixel (i, j) channel (a * 2 + b) * C + c is X(2i + a, 2j + b, c).
Image packed(const Image& x, int64_t packed_c) {
  Image p{x.n, (x.h + 1) / 2, (x.w + 1) / 2, packed_c, {}};
  p.v.assign(static_cast<size_t>(p.n * p.h * p.w * p.c), 0);
  for (int64_t i = 0; i < x.n; ++i)
    for (int64_t y = 0; y < x.h; ++y)
      for (int64_t z = 0; z < x.w; ++z)
        for (int64_t ch = 0; ch < x.c; ++ch)
          p.v[static_cast<size_t>(((i * p.h + y / 2) * p.w + z / 2) * p.c + ((y % 2) * 2 + z % 2) * x.c + ch)] = static_cast<int8_t>(x.at(i, y, z, ch));
  return p;
}

TEST(SpaceToDepthWindow, PackedSumsEqualTheStrideTwoConvolutionsExactly) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> value(-128, 127);
  int checked = 0;
  for (int64_t r = 1; r <= 7; ++r)
    for (int64_t pad = 0; pad <= r / 2 + 1 && pad < r; ++pad)
      for (int64_t c = 1; c <= 4; ++c)
        for (int64_t size : {9, 12}) {
          const int64_t h = size, w = size + 1, k = 3, s = r == 1 ? 1 : r - 1;  // non-square windows too
          const int64_t pad_w = std::min(pad, s - 1);
          const int64_t oh = (h + 2 * pad - r) / 2 + 1, ow = (w + 2 * pad_w - s) / 2 + 1;
          if (oh <= 0 || ow <= 0) continue;
          Image x{2, h, w, c, {}};
          for (int64_t i = 0; i < x.n * h * w * c; ++i) x.v.push_back(static_cast<int8_t>(value(rng)));
          std::vector<int8_t> weights;
          for (int64_t i = 0; i < k * r * s * c; ++i) weights.push_back(static_cast<int8_t>(value(rng)));
          const std::vector<int32_t> want = conv_sums(x, weights, k, r, s, 2, pad, pad_w, oh, ow);
          const PackedWindowDim ph = PackedWindowDim::of(r, pad), pw = PackedWindowDim::of(s, pad_w);
          const std::vector<int8_t> pw8 = kiln::cuda::space_to_depth_weights(weights, {k, c, r, s}, pad, pad_w, 16);
          const std::vector<int32_t> got = conv_sums(packed(x, 16), pw8, k, ph.kernel, pw.kernel, 1, ph.pad, pw.pad, oh, ow);
          ASSERT_EQ(got, want) << "window " << r << "x" << s << ", pad " << pad << "/" << pad_w << ", " << c << " channels, " << h
                               << "x" << w;
          ++checked;
        }
  EXPECT_GT(checked, 150);
}

TEST(SpaceToDepthWindow, TheStemWindowBecomesFourByFourWithPadTwo) {
  const PackedWindowDim d = PackedWindowDim::of(7, 3);
  EXPECT_EQ(d.kernel, 4);
  EXPECT_EQ(d.pad, 2);
  const PackedWindowDim three = PackedWindowDim::of(3, 1);  // MobileNet's and EfficientNet's 3x3/2 stems
  EXPECT_EQ(three.kernel, 2);
  EXPECT_EQ(three.pad, 1);
}

TEST(SpaceToDepthWindow, RefusesMoreChannelsThanThePackedPixelHolds) {
  EXPECT_THROW(kiln::cuda::space_to_depth_weights(std::vector<int8_t>(5 * 9, 1), {1, 5, 3, 3}, 1, 1, 16), std::invalid_argument);
}

}  // namespace
