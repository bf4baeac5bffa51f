// Float weights as the reference pack's INT8 kernels multiply them (docs/quantization.md): integers less their
// zero point, with one scale per output channel (a slice along `axis`: a Conv's W along 0, a Gemm's B along its
// column axis). Weights that carry quantization parameters (a DequantizeLinear, folded) give their integers back
// exactly, q - zero = round(w / scale); weights without, or with a BatchNormalization folded in (which moves
// them off their grid), are quantized per output channel, symmetric: scale = max|w| / 127, in double.
#ifndef KILN_CPU_REF_INT8_WEIGHTS_HPP
#define KILN_CPU_REF_INT8_WEIGHTS_HPP

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/int8_activation.hpp"
#include "common/quantize.hpp"

namespace kiln::cpu_ref {

struct Int8Weights {
  std::vector<int64_t> values;  // q - zero, in the weights' own layout
  std::vector<double> scales;   // one per output channel (a per-tensor scale repeated)

  // The factor turning an accumulator of channel c into a real: x_scale * w_scale[c], in double.
  std::vector<double> multipliers(double x_scale) const {
    std::vector<double> out(scales.size());
    for (size_t c = 0; c < out.size(); ++c) out[c] = x_scale * scales[c];
    return out;
  }
};

// The output channel of each element of a tensor of `dims` (QuantParamIndex's per-axis walk).
inline QuantParamIndex channel_index(const std::vector<int64_t>& dims, int axis) {
  return QuantParamIndex(dims, {dims.at(static_cast<size_t>(axis))}, axis, 0, "INT8 weights");
}

// w's integers from its own parameters (per tensor, or per channel along `axis`).
inline Int8Weights weights_on_grid(const std::vector<double>& w, const std::vector<int64_t>& dims, int axis,
                                   const Quantization& q) {
  const int64_t channels = dims.at(static_cast<size_t>(axis));
  Int8Weights out{std::vector<int64_t>(w.size()), std::vector<double>(static_cast<size_t>(channels))};
  for (int64_t c = 0; c < channels; ++c) out.scales[c] = q.scale(c);
  const QuantParamIndex channel = channel_index(dims, axis);
  for (size_t i = 0; i < w.size(); ++i)
    out.values[i] = static_cast<int64_t>(std::nearbyint(w[i] / out.scales[channel(static_cast<int64_t>(i))]));
  return out;
}

// w quantized per channel along `axis`, symmetric in [-127, 127]; a channel of zeros gets scale 1.
inline Int8Weights quantize_weights(const std::vector<double>& w, const std::vector<int64_t>& dims, int axis) {
  const int64_t channels = dims.at(static_cast<size_t>(axis));
  const QuantParamIndex channel = channel_index(dims, axis);
  std::vector<double> max_abs(static_cast<size_t>(channels), 0.0);
  for (size_t i = 0; i < w.size(); ++i) {
    double& m = max_abs[channel(static_cast<int64_t>(i))];
    m = std::max(m, std::abs(w[i]));
  }
  Int8Weights out{std::vector<int64_t>(w.size()), std::vector<double>(static_cast<size_t>(channels))};
  for (int64_t c = 0; c < channels; ++c) out.scales[c] = max_abs[c] > 0 ? max_abs[c] / 127.0 : 1.0;
  for (size_t i = 0; i < w.size(); ++i) {
    const double q = std::nearbyint(w[i] / out.scales[channel(static_cast<int64_t>(i))]);
    out.values[i] = static_cast<int64_t>(std::min(127.0, std::max(-127.0, q)));
  }
  return out;
}

// Multiplies each channel (along `axis`) of w by factor[c]: a BatchNormalization's scale folded in, in double.
inline void scale_channels(std::vector<double>& w, const std::vector<int64_t>& dims, int axis,
                           const std::vector<double>& factor) {
  if (static_cast<int64_t>(factor.size()) != dims.at(static_cast<size_t>(axis)))
    fail_invalid("INT8 weights: " + std::to_string(factor.size()) + " BatchNormalization channels for " +
                 std::to_string(dims[static_cast<size_t>(axis)]) + " output channels");
  const QuantParamIndex channel = channel_index(dims, axis);
  for (size_t i = 0; i < w.size(); ++i) w[i] *= factor[channel(static_cast<int64_t>(i))];
}

// The weights as the doc says: from their parameters when they have some and nothing was folded into them,
// else quantized. `values` are w's (folded when `folded`).
inline Int8Weights int8_weights(const ValueInfo& w, const std::vector<double>& values, int axis, bool folded) {
  if (w.quant.present() && !folded) return weights_on_grid(values, w.dims, axis, w.quant);
  return quantize_weights(values, w.dims, axis);
}

// Why w's quantization parameters do not give its integers back (wrong axis or count, or values off the
// integer range), or "". Only asked when they will be used (nothing folded into w).
inline std::string weight_grid_reason(const ValueInfo& w, int axis) {
  const Quantization& q = w.quant;
  const int64_t channels = w.dims.at(static_cast<size_t>(axis));
  const bool per_tensor = q.scales.size() == 1 && q.axis < 0;
  const int q_axis = q.axis < 0 ? q.axis + w.rank() : q.axis;
  if (!per_tensor && (q_axis != axis || static_cast<int64_t>(q.scales.size()) != channels))
    return "W '" + w.name + "' is quantized along axis " + std::to_string(q.axis) + " (" + std::to_string(q.scales.size()) +
           " scales); INT8 weights need one scale per tensor or per output channel (axis " + std::to_string(axis) + ")";
  const kiln_dtype dtype = q.dtype == KILN_DTYPE_UINT8 ? KILN_DTYPE_UINT8 : KILN_DTYPE_INT8;
  for (size_t c = 0; c < q.scales.size(); ++c) {
    if (!(q.scales[c] > 0) || !std::isfinite(q.scales[c])) return "W '" + w.name + "' has a scale that is not positive and finite";
    if (!zero_point_fits(q.zero_points[c], dtype)) return "W '" + w.name + "' has a zero point outside " + dtype_name(dtype);
  }
  const std::vector<double> values = values_as<double>(w, "INT8 weights");
  const Int8Weights grid = weights_on_grid(values, w.dims, axis, q);
  const QuantParamIndex channel = channel_index(w.dims, axis);
  for (size_t i = 0; i < values.size(); ++i) {
    const int64_t c = channel(static_cast<int64_t>(i)), integer = grid.values[i] + q.zero_point(c);
    if (!std::isfinite(values[i]) || !zero_point_fits(integer, dtype))
      return "W '" + w.name + "' holds " + std::to_string(values[i]) + ", which is not on its " + dtype_name(dtype) + " grid";
  }
  return "";
}

// Why w cannot be an INT8 kernel's weights (a float constant of known shape whose parameters, when used, fit),
// or "". `axis`: its output-channel axis; `folded`: a BatchNormalization will be folded into it.
inline std::string weight_reason(const ValueInfo& w, int axis, bool folded) {
  if (!in_set<FloatTypes>(w.dtype)) return "W '" + w.name + "' is " + dtype_name(w.dtype) + "; INT8 kernels take float weights";
  if (!w.data || !w.shape_known()) return "W '" + w.name + "' is not a constant (INT8 weights are quantized once, at create)";
  if (axis < 0 || axis >= w.rank())
    return "W '" + w.name + "' has rank " + std::to_string(w.rank()) + ", too low for its output channels";
  if (!w.quant.present() || folded) return "";
  return weight_grid_reason(w, axis);
}

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_INT8_WEIGHTS_HPP
