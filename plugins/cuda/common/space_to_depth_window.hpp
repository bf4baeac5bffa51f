// The arithmetic of a stride-2 convolution turned into a stride-1 one over a space-to-depth packed image
// (common/conv_int8_space_to_depth.hpp): the packed window and the packed weights. Host code, no CUDA.
//
// Along one spatial dim, tap r of the original window (pad p before, stride 2) at output o reads X row
// 2o - p + r = 2(o + t) + a, with t = floor((r - p) / 2) and a = (r - p) - 2t the row inside the 2-row patch; t runs
// from floor(-p / 2) to floor((R - 1 - p) / 2), and that range is the packed window: for a 7x7 window with pad 3,
// 4 taps with pad 2 before. The output size stays the original's (the padding after comes from the bounds).
#ifndef KILN_CUDA_SPACE_TO_DEPTH_WINDOW_HPP
#define KILN_CUDA_SPACE_TO_DEPTH_WINDOW_HPP

#include <cstdint>
#include <vector>

namespace kiln::cuda {

constexpr int64_t kSpaceToDepthBlock = 2;

// One spatial dim of the packed window: its taps and the padding before it (stride 1, dilation 1).
struct PackedWindowDim {
  int64_t kernel = 0, pad = 0;
  // The packed dim of an original window of `kernel` taps, `pad` before it, stride 2.
  static PackedWindowDim of(int64_t kernel, int64_t pad);
};

// The packed weights [K, R', S', packed_c] from integers `krsc` of dims [K, R, S, C] (a window with pads
// `pad_h`, `pad_w` before, stride 2): packed channel (a * 2 + b) * C + c of tap (t, u) holds the original tap
// (2t' + a + pad_h, 2u' + b + pad_w) of channel c (t', u' counted from the packed window's first tap), zero where
// that tap is outside the original window or the channel past 4 * C. Requires 4 * C <= packed_c.
std::vector<int8_t> space_to_depth_weights(const std::vector<int8_t>& krsc, const std::vector<int64_t>& kcrs_dims,
                                           int64_t pad_h, int64_t pad_w, int64_t packed_c);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_SPACE_TO_DEPTH_WINDOW_HPP
