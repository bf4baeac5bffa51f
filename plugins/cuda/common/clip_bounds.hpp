// A Clip node's bounds, read on the host when a kernel is created: attributes before opset 11, optional
// one-value constant inputs after. The Clip kernel (ops/clip.cu) and the INT8 convolution's fused activation
// (ops/conv_fused_int8.cpp) read them alike.
#ifndef KILN_CUDA_CLIP_BOUNDS_HPP
#define KILN_CUDA_CLIP_BOUNDS_HPP

#include <limits>
#include <string>
#include <vector>

#include "kiln/fused.hpp"  // constant_doubles
#include "kiln/plugin.hpp"

namespace kiln::cuda {

struct ClipBounds {
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
};

// Why the bounds of Clip node `clip` cannot be read when the kernel is created, or "".
inline std::string clip_bounds_reason(const Node& clip) {
  if (clip.opset() < 11) return "";
  for (int i = 1; i < 3; ++i) {
    if (!clip.has_input(i)) continue;
    const ValueInfo bound = clip.input(i);
    if (!bound.data) return "Clip's bound '" + bound.name + "' is not a constant (the CUDA kernels read Clip's bounds when created)";
    if (bound.shape_known() && bound.numel() != 1)
      return "Clip's bound '" + bound.name + "' holds " + std::to_string(bound.numel()) + " values, not one";
  }
  return "";
}

inline ClipBounds clip_bounds(const Node& clip) {
  ClipBounds b;
  if (clip.opset() < 11) {
    // Clip-6's defaults are the float range, not infinities, as in the reference pack.
    b.lo = clip.attr_float("min", std::numeric_limits<float>::lowest());
    b.hi = clip.attr_float("max", std::numeric_limits<float>::max());
    return b;
  }
  const auto bound = [&](int index) {
    const std::vector<double> v = constant_doubles(clip.input(index), "Clip");
    if (v.size() != 1) fail_invalid("Clip: a bound must hold one value, got " + std::to_string(v.size()));
    return static_cast<float>(v[0]);
  };
  if (clip.has_input(1)) b.lo = bound(1);
  if (clip.has_input(2)) b.hi = bound(2);
  return b;
}

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CLIP_BOUNDS_HPP
