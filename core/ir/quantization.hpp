// Quantization parameters of a value (docs/quantization.md): its integers q stand for the reals
// (q - zero_point) * scale, with one pair for the whole tensor (axis -1) or one per slice along `axis`
// (per-channel weights). An int8/uint8 activation carries them so INT8 kernels know what their integers mean;
// a float constant may carry them when its values lie exactly on such a grid (folded quantized weights).
#ifndef KILN_CORE_QUANTIZATION_HPP
#define KILN_CORE_QUANTIZATION_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "ir/dtype.hpp"

namespace kiln {

struct Quantization {
  int axis = -1;
  std::vector<float> scales;
  std::vector<int32_t> zero_points;  // one per scale; int8 or uint8 values widened
  DataType dtype = KILN_DTYPE_INT8;  // the integers' type: int8 or uint8

  // Symmetric int8, one scale for the whole tensor: what calibration produces.
  static Quantization per_tensor(float scale, int32_t zero_point = 0, DataType dtype = KILN_DTYPE_INT8);

  bool per_tensor() const { return scales.size() == 1 && axis < 0; }
  bool operator==(const Quantization& other) const;
  bool operator!=(const Quantization& other) const { return !(*this == other); }
  // "scale 0.0123" or "per axis 0 (64 scales 0.001..0.02)", for summaries and inspect.
  std::string describe() const;
};

}  // namespace kiln

#endif  // KILN_CORE_QUANTIZATION_HPP
