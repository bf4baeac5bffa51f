#include "common/conv_weights.hpp"

#include "kiln/fused.hpp"
#include "common/host_values.hpp"

namespace kiln::cuda {

ConvWeights ConvWeights::read(const Node& conv, const Node* bn) {
  ConvWeights c;
  const ValueInfo w = conv.input(1);
  c.dims = w.dims;
  c.weight = constant_doubles(w, "Conv '" + conv.name() + "' W");
  const int64_t maps = c.dims.at(0);
  const size_t per_map = maps ? c.weight.size() / static_cast<size_t>(maps) : 0;
  c.has_bias = conv.has_input(2);
  c.bias = c.has_bias ? constant_doubles(conv.input(2), "Conv '" + conv.name() + "' B") : std::vector<double>(maps, 0.0);
  if (static_cast<int64_t>(c.bias.size()) != maps)
    fail_invalid("Conv '" + conv.name() + "': B has " + std::to_string(c.bias.size()) + " values for " +
                 std::to_string(maps) + " output channels");
  if (!bn) return c;
  const ChannelAffine affine(*bn);
  if (static_cast<int64_t>(affine.scale.size()) != maps)
    fail_invalid("BatchNormalization '" + bn->name() + "' has " + std::to_string(affine.scale.size()) +
                 " channels after a Conv of " + std::to_string(maps));
  for (int64_t m = 0; m < maps; ++m) {
    for (size_t i = 0; i < per_map; ++i) c.weight[static_cast<size_t>(m) * per_map + i] *= affine.scale[m];
    c.bias[m] = c.bias[m] * affine.scale[m] + affine.shift[m];
  }
  c.has_bias = true;
  return c;
}

std::vector<double> ConvWeights::laid_out(bool channels_last) const {
  if (!channels_last) return weight;
  const int64_t k = dims[0], c = dims[1], rs = dims[2] * dims[3];
  std::vector<double> out(weight.size());
  for (int64_t m = 0; m < k; ++m)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < rs; ++p) out[(m * rs + p) * c + ch] = weight[(m * c + ch) * rs + p];
  return out;
}

std::vector<double> ConvWeights::padded_krsc(int64_t c_to) const {
  const int64_t k = dims[0], c = dims[1], rs = dims[2] * dims[3];
  std::vector<double> out(static_cast<size_t>(k * rs * c_to), 0.0);
  for (int64_t m = 0; m < k; ++m)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < rs; ++p) out[static_cast<size_t>((m * rs + p) * c_to + ch)] = weight[static_cast<size_t>((m * c + ch) * rs + p)];
  return out;
}

}  // namespace kiln::cuda
