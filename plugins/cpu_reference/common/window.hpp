// Sliding-window geometry shared by Conv, ConvTranspose and pooling: kernel, strides, dilations and pads per
// spatial dim, with auto_pad and ceil_mode resolved into explicit pads and output sizes.
#ifndef KILN_CPU_REF_WINDOW_HPP
#define KILN_CPU_REF_WINDOW_HPP

#include <algorithm>
#include <string>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln::cpu_ref {

struct Window {
  std::vector<int64_t> kernel, strides, dilations, pad_begin, pad_end, out;  // per spatial dim
  size_t rank() const { return kernel.size(); }
};

// The window attributes as the node gives them; resolve() fills defaults once the spatial rank is known.
struct WindowAttrs {
  std::string label, auto_pad;
  std::vector<int64_t> kernel, strides, dilations, pads;
  bool ceil_mode = false;

  explicit WindowAttrs(const Node& node)
      : label(node.op_type() + " '" + node.name() + "'"),
        auto_pad(node.attr_string("auto_pad", "NOTSET")),
        kernel(node.attr_ints("kernel_shape", {})),
        strides(node.attr_ints("strides", {})),
        dilations(node.attr_ints("dilations", {})),
        pads(node.attr_ints("pads", {})),
        ceil_mode(node.attr_int("ceil_mode", 0) != 0) {
    if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
      fail_invalid(label + ": unknown auto_pad '" + auto_pad + "'");
  }

  // The window over input spatial dims `in` (unknown dims give output -1). `kernel_fallback` is used when the
  // node has no kernel_shape (Conv takes it from the weight).
  Window resolve(const std::vector<int64_t>& in, const std::vector<int64_t>& kernel_fallback = {}) const {
    const size_t n = in.size();
    Window w;
    w.kernel = kernel.empty() ? kernel_fallback : kernel;
    // (assign() rather than `empty() ? vector(n, 1) : attr`, which trips a false GCC 12 -Wfree-nonheap-object.)
    w.strides = strides;
    if (strides.empty()) w.strides.assign(n, 1);
    w.dilations = dilations;
    if (dilations.empty()) w.dilations.assign(n, 1);
    std::vector<int64_t> p = pads;
    if (pads.empty()) p.assign(2 * n, 0);
    if (w.kernel.size() != n || w.strides.size() != n || w.dilations.size() != n || p.size() != 2 * n)
      fail_invalid(label + ": kernel_shape, strides, dilations or pads do not match " + std::to_string(n) + " spatial dims");
    w.pad_begin.assign(p.begin(), p.begin() + static_cast<long>(n));
    w.pad_end.assign(p.begin() + static_cast<long>(n), p.end());
    w.out.assign(n, -1);
    for (size_t i = 0; i < n; ++i) {
      if (w.strides[i] <= 0 || w.dilations[i] <= 0 || w.kernel[i] <= 0)
        fail_invalid(label + ": kernel, strides and dilations must be positive");
      if (in[i] < 0) continue;
      const int64_t extent = (w.kernel[i] - 1) * w.dilations[i] + 1;
      if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        w.out[i] = (in[i] + w.strides[i] - 1) / w.strides[i];
        const int64_t total = std::max<int64_t>(0, (w.out[i] - 1) * w.strides[i] + extent - in[i]);
        w.pad_begin[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        w.pad_end[i] = total - w.pad_begin[i];
        continue;
      }
      if (auto_pad == "VALID") w.pad_begin[i] = w.pad_end[i] = 0;
      const int64_t span = in[i] + w.pad_begin[i] + w.pad_end[i] - extent;
      if (span < 0) fail_invalid(label + ": the window is larger than the padded input");
      w.out[i] = (ceil_mode ? (span + w.strides[i] - 1) / w.strides[i] : span / w.strides[i]) + 1;
      // With ceil_mode, a last window that would start in the end padding is dropped.
      if (ceil_mode && (w.out[i] - 1) * w.strides[i] >= in[i] + w.pad_begin[i]) --w.out[i];
    }
    return w;
  }
};

inline std::vector<int64_t> spatial_dims(const std::vector<int64_t>& dims) {
  return std::vector<int64_t>(dims.begin() + std::min<long>(2, static_cast<long>(dims.size())), dims.end());
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_WINDOW_HPP
