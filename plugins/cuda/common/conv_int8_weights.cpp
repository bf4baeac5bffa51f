#include "common/conv_int8_weights.hpp"

#include <algorithm>
#include <cmath>

#include "common/conv_weights.hpp"
#include "common/quant_params.hpp"

namespace kiln::cuda {

std::vector<double> quantize_per_channel(std::vector<double>& w, int64_t maps) {
  const size_t per_map = maps ? w.size() / static_cast<size_t>(maps) : 0;
  std::vector<double> scales(static_cast<size_t>(maps), 1.0);
  for (size_t m = 0; m < scales.size(); ++m) {
    double* row = w.data() + m * per_map;
    double largest = 0;
    for (size_t i = 0; i < per_map; ++i) largest = std::max(largest, std::abs(row[i]));
    if (largest > 0) scales[m] = largest / 127.0;
    for (size_t i = 0; i < per_map; ++i) row[i] = std::clamp(std::nearbyint(row[i] / scales[m]), -127.0, 127.0);
  }
  return scales;
}

std::vector<double> recover_integers(std::vector<double>& w, const Quantization& quant, int64_t maps, const std::string& label) {
  const size_t per_map = maps ? w.size() / static_cast<size_t>(maps) : 0;
  std::vector<double> scales(static_cast<size_t>(maps));
  for (size_t m = 0; m < scales.size(); ++m) {
    scales[m] = quant.scale(static_cast<int64_t>(m));
    for (size_t i = 0; i < per_map; ++i) {
      double& v = w[m * per_map + i];
      v = std::nearbyint(v / scales[m]);
      if (v < -128 || v > 127)
        fail_unsupported(label + ": W's value at output channel " + std::to_string(m) + " is " + std::to_string(v) +
                         " times its scale, outside int8");
    }
  }
  return scales;
}

std::string int8_grid_reason(const ValueInfo& w, const std::string& what, int channel_axis) {
  const Quantization& q = w.quant;
  if (!q.present()) return "";
  const std::string named = what + " '" + w.name + "'";
  if (!q.symmetric()) return named + " has non-zero zero points; the int8 kernels take symmetric weights only";
  if (q.dtype != KILN_DTYPE_INT8) return named + " holds " + dtype_name(q.dtype) + " integers; the int8 kernels take int8";
  const auto axis = static_cast<size_t>(channel_axis);
  if (!q.per_tensor() &&
      (q.axis != channel_axis || !w.has_rank || w.dims.size() <= axis || static_cast<int64_t>(q.scales.size()) != w.dims[axis]))
    return named + " is quantized " + quant_text(q) + "; per tensor or per output channel (axis " + std::to_string(channel_axis) + ") only";
  for (float s : q.scales)
    if (!(s > 0.0f) || !std::isfinite(s)) return named + " has a scale of " + std::to_string(s);
  return "";
}

std::string int8_weight_reason(const ValueInfo& w, bool bn_folded) { return bn_folded ? "" : int8_grid_reason(w, "W", 0); }

Int8ConvWeights Int8ConvWeights::read(const Node& conv, const Node* bn) {
  ConvWeights folded = ConvWeights::read(conv, bn);
  Int8ConvWeights out;
  out.dims = folded.dims;
  out.bias = folded.bias;
  out.has_bias = folded.has_bias;
  const ValueInfo w = conv.input(1);
  const int64_t maps = out.dims.at(0);
  out.own_parameters = !bn && w.quant.present();
  if (out.own_parameters) {
    if (const std::string why = int8_weight_reason(w, false); !why.empty()) fail_unsupported("Conv '" + conv.name() + "': " + why);
    out.scales = recover_integers(folded.weight, w.quant, maps, "Conv '" + conv.name() + "'");
  } else {
    out.scales = quantize_per_channel(folded.weight, maps);
  }
  const std::vector<double> krsc = folded.laid_out(true);
  out.krsc.resize(krsc.size());
  std::transform(krsc.begin(), krsc.end(), out.krsc.begin(), [](double q) { return static_cast<int8_t>(q); });
  return out;
}

std::vector<int8_t> Int8ConvWeights::padded_krsc(int64_t k_to, int64_t c_to) const {
  const int64_t k = dims.at(0), c = dims.at(1), rs = dims.at(2) * dims.at(3);
  if (k_to < k || c_to < c) fail_invalid("Int8ConvWeights: cannot pad to fewer channels");
  if (k_to == k && c_to == c) return krsc;
  std::vector<int8_t> out(static_cast<size_t>(k_to * rs * c_to), 0);
  for (int64_t m = 0; m < k; ++m)
    for (int64_t p = 0; p < rs; ++p)
      std::copy_n(krsc.begin() + (m * rs + p) * c, c, out.begin() + (m * rs + p) * c_to);
  return out;
}

}  // namespace kiln::cuda
