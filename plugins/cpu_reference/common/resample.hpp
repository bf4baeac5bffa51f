// N-dimensional resampling for Resize and Upsample, separable per axis: each output coordinate of an axis reads
// a few input coordinates ("taps") with weights, and an output element is the sum over every combination of its
// axes' taps of the product of their weights times the input there, computed in double.
//
// Per axis, the output coordinate x maps to x_original by the coordinate transformation mode; then, with
// fl = ceil(x_original) - 1 and r = x_original - fl in (0, 1] (an exact integer counts as r = 1, taking the
// pixel on its left as the base), the taps are fl + k for the kernel's offsets k:
//   nearest  one tap, rounded by nearest_mode
//   linear   k in {0, 1}, weights 1 - r, r
//   cubic    k in {-1 .. 2}, weights kernel(r + 1), kernel(r), kernel(1 - r), kernel(2 - r) (Keys, coefficient a)
// antialias (linear, cubic) stretches the kernel by 1 / scale when downsampling and normalises the weights.
// Taps outside the input read the edge, or with exclude_outside get weight 0 (weights renormalised).
// This follows the ONNX reference implementation (onnx/reference/ops/op_resize.py).
#ifndef KILN_CPU_REF_RESAMPLE_HPP
#define KILN_CPU_REF_RESAMPLE_HPP

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "common/element_value.hpp"
#include "common/index_util.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {

enum class ResampleKind { Nearest, Linear, Cubic };

struct ResampleMode {
  ResampleKind kind = ResampleKind::Nearest;
  // half_pixel, half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn,
  // tf_crop_and_resize
  std::string coordinate = "half_pixel";
  // round_prefer_floor, round_prefer_ceil, floor, ceil, or "simple" (before opset 11: floor when upsampling,
  // ceil when downsampling, as onnxruntime does)
  std::string nearest = "round_prefer_floor";
  double cubic_a = -0.75;
  bool exclude_outside = false;
  bool antialias = false;
  double extrapolation = 0;
};

// How one axis is resized: lengths, the scale (output / input), the resized length as a real number
// (scale * input; equal to `out` when sizes were given) and the crop window for tf_crop_and_resize.
struct AxisResize {
  int64_t in = 0, out = 0;
  double scale = 1, length = 0, roi_start = 0, roi_end = 1;
};

struct Tap {
  int64_t index;
  double weight;
};

// The taps of one output coordinate; `outside` means "write the extrapolation value" (tf_crop_and_resize).
struct AxisTaps {
  std::vector<Tap> taps;
  bool outside = false;
};

inline ResampleKind parse_resample_kind(const std::string& mode, const char* op) {
  if (mode == "nearest") return ResampleKind::Nearest;
  if (mode == "linear" || mode == "bilinear" || mode == "trilinear") return ResampleKind::Linear;
  if (mode == "cubic") return ResampleKind::Cubic;
  fail_invalid(std::string(op) + ": unknown mode '" + mode + "'");
}

inline void check_resample_mode(const ResampleMode& m, const char* op) {
  static const char* const kCoordinates[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
                                             "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
  static const char* const kNearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple"};
  if (std::none_of(std::begin(kCoordinates), std::end(kCoordinates), [&](const char* c) { return m.coordinate == c; }))
    fail_invalid(std::string(op) + ": unknown coordinate_transformation_mode '" + m.coordinate + "'");
  if (std::none_of(std::begin(kNearest), std::end(kNearest), [&](const char* c) { return m.nearest == c; }))
    fail_invalid(std::string(op) + ": unknown nearest_mode '" + m.nearest + "'");
}

// Output coordinate x of an axis in input coordinates.
inline double original_coordinate(const ResampleMode& m, const AxisResize& a, int64_t x) {
  const double xd = static_cast<double>(x), in = static_cast<double>(a.in);
  const std::string& c = m.coordinate;
  if (c == "asymmetric") return xd / a.scale;
  if (c == "tf_half_pixel_for_nn") return (xd + 0.5) / a.scale;
  if (c == "align_corners") return a.length == 1 ? 0.0 : xd * (in - 1) / (a.length - 1);
  if (c == "pytorch_half_pixel") return a.length > 1 ? (xd + 0.5) / a.scale - 0.5 : 0.0;
  if (c == "half_pixel_symmetric") {
    const double adjustment = static_cast<double>(a.out) / a.length;
    const double offset = in / 2 * (1 - adjustment);
    return offset + (xd + 0.5) / a.scale - 0.5;
  }
  if (c == "tf_crop_and_resize") {
    const double span = (a.roi_end - a.roi_start) * (in - 1);
    if (a.length == 1) return span / 2 + a.roi_start * (in - 1);
    return xd * span / (a.length - 1) + a.roi_start * (in - 1);
  }
  return (xd + 0.5) / a.scale - 0.5;  // half_pixel
}

// Keys' cubic convolution kernel with coefficient a.
inline double cubic_kernel(double x, double a) {
  x = std::fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

// The index nearest_mode picks around fl + r, r in (0, 1].
inline int64_t nearest_tap(const ResampleMode& m, int64_t fl, double r, double scale) {
  const std::string& n = m.nearest;
  if (r == 1) return fl + 1;  // x_original is an integer
  if (n == "round_prefer_floor") return r <= 0.5 ? fl : fl + 1;
  if (n == "round_prefer_ceil") return r < 0.5 ? fl : fl + 1;
  if (n == "floor") return fl;
  if (n == "ceil") return fl + 1;
  return scale < 1 ? fl + 1 : fl;  // simple
}

// Kernel offsets (relative to fl) and weights for the ratio r.
inline void kernel_weights(const ResampleMode& m, double r, double scale, std::vector<int64_t>& offsets,
                           std::vector<double>& weights) {
  offsets.clear();
  weights.clear();
  const double s = std::min(scale, 1.0);
  if (m.kind == ResampleKind::Linear) {
    if (!m.antialias) {
      offsets = {0, 1};
      weights = {1 - r, r};
      return;
    }
    const int64_t start = static_cast<int64_t>(std::floor(-1 / s)) + 1, footprint = 2 - 2 * start;
    for (int64_t k = start; k < start + footprint; ++k) {
      offsets.push_back(k);
      weights.push_back(std::clamp(1 - std::fabs((static_cast<double>(k) - r) * s), 0.0, 1.0));
    }
  } else {
    if (!m.antialias) {
      offsets = {-1, 0, 1, 2};
      for (int64_t k : offsets) weights.push_back(cubic_kernel(static_cast<double>(k) - r, m.cubic_a));
      return;
    }
    const int64_t start = static_cast<int64_t>(std::floor(-2 / s)) + 1, end = 2 - start;
    for (int64_t k = start; k < end; ++k) {
      offsets.push_back(k);
      weights.push_back(cubic_kernel(s * (static_cast<double>(k) - r), m.cubic_a));
    }
  }
  double sum = 0;
  for (double w : weights) sum += w;
  for (double& w : weights) w /= sum;
}

// The taps of every output coordinate of one axis.
inline std::vector<AxisTaps> axis_taps(const ResampleMode& m, const AxisResize& a) {
  std::vector<AxisTaps> all(static_cast<size_t>(a.out));
  std::vector<int64_t> offsets;
  std::vector<double> weights;
  auto clamp_index = [&](int64_t i) { return std::clamp<int64_t>(i, 0, a.in - 1); };
  for (int64_t x = 0; x < a.out; ++x) {
    AxisTaps& t = all[static_cast<size_t>(x)];
    const double xo = original_coordinate(m, a, x);
    if (m.coordinate == "tf_crop_and_resize" && (xo < 0 || xo > static_cast<double>(a.in - 1))) {
      t.outside = true;
      continue;
    }
    const int64_t fl = static_cast<int64_t>(std::ceil(xo)) - 1;
    const double r = xo - static_cast<double>(fl);
    if (m.kind == ResampleKind::Nearest) {
      t.taps.push_back({clamp_index(nearest_tap(m, fl, r, a.scale)), 1.0});
      continue;
    }
    kernel_weights(m, r, a.scale, offsets, weights);
    if (m.exclude_outside) {
      double sum = 0;
      for (size_t k = 0; k < offsets.size(); ++k) {
        const int64_t i = fl + offsets[k];
        if (i < 0 || i >= a.in) weights[k] = 0;
        sum += weights[k];
      }
      if (sum != 0)
        for (double& w : weights) w /= sum;
    }
    for (size_t k = 0; k < offsets.size(); ++k)
      if (weights[k] != 0) t.taps.push_back({clamp_index(fl + offsets[k]), weights[k]});
  }
  return all;
}

// An output length from a real-valued one, failing for lengths no tensor could have (inf, NaN, > 2^62).
inline int64_t resized_length(double length, const char* op) {
  if (!(length >= 0 && length < 4.6e18)) fail_invalid(std::string(op) + ": output length " + std::to_string(length) + " is out of range");
  return static_cast<int64_t>(std::floor(length));
}

// Resamples x into y (same dtype, same rank) along every axis.
class Resampler {
 public:
  Resampler(const ResampleMode& mode, const std::vector<AxisResize>& axes) : extrapolation_(mode.extrapolation) {
    for (const AxisResize& a : axes) {
      if (a.out > 0 && a.in <= 0) fail_invalid("Resize: cannot resample an empty axis to a non-empty one");
      taps_.push_back(axis_taps(mode, a));
      in_dims_.push_back(a.in);
      out_dims_.push_back(a.out);
    }
    in_strides_ = dense_strides(in_dims_);
  }

  void run(const Tensor& x, const Tensor& y) {
    if (single_taps()) return copy_nearest(x, y);
    dispatch_every_dtype(x.dtype(), "Resize", [&](auto tag) {
      using T = decltype(tag);
      const T* in = x.data<T>();
      T* out = y.data<T>();
      int64_t k = 0;
      for_each_position(out_dims_, [&](const std::vector<int64_t>& pos) {
        out[k++] = from_double<T>(value_at(in, pos));
      });
    });
  }

 private:
  // Whether every output element reads one input element with weight 1 (nearest, or an axis left as it is).
  bool single_taps() const {
    for (const auto& axis : taps_)
      for (const AxisTaps& t : axis)
        if (!t.outside && (t.taps.size() != 1 || t.taps[0].weight != 1.0)) return false;
    return true;
  }
  // Copies the picked elements' bytes: exact for every dtype, 64-bit integers included.
  void copy_nearest(const Tensor& x, const Tensor& y) const {
    const size_t elem = dtype_size(x.dtype());
    const std::vector<uint8_t> fill = element_bytes(x.dtype(), extrapolation_, "Resize");
    const auto* in = static_cast<const uint8_t*>(x.raw());
    auto* out = static_cast<uint8_t*>(y.raw());
    int64_t k = 0;
    for_each_position(out_dims_, [&](const std::vector<int64_t>& pos) {
      int64_t offset = 0;
      bool outside = false;
      for (size_t d = 0; d < pos.size() && !outside; ++d) {
        const AxisTaps& t = taps_[d][static_cast<size_t>(pos[d])];
        outside = t.outside;
        if (!outside) offset += t.taps[0].index * in_strides_[d];
      }
      std::memcpy(out + k++ * static_cast<int64_t>(elem), outside ? fill.data() : in + offset * static_cast<int64_t>(elem), elem);
    });
  }
  template <class T>
  double value_at(const T* in, const std::vector<int64_t>& pos) const {
    for (size_t d = 0; d < pos.size(); ++d)
      if (taps_[d][static_cast<size_t>(pos[d])].outside) return extrapolation_;
    return accumulate(in, pos, 0, 0, 1.0);
  }
  // Sum over the taps of axes d.. of weight * input, the axes before d fixed at `offset` with `weight`.
  template <class T>
  double accumulate(const T* in, const std::vector<int64_t>& pos, size_t d, int64_t offset, double weight) const {
    if (d == pos.size()) return weight * to_double(in[offset]);
    double sum = 0;
    for (const Tap& t : taps_[d][static_cast<size_t>(pos[d])].taps)
      sum += accumulate(in, pos, d + 1, offset + t.index * in_strides_[d], weight * t.weight);
    return sum;
  }

  double extrapolation_;
  std::vector<std::vector<AxisTaps>> taps_;
  std::vector<int64_t> in_dims_, out_dims_, in_strides_;
};

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_RESAMPLE_HPP
