#include "quantize_case.hpp"

#include <algorithm>
#include <cmath>

#include "ir/element_values.hpp"

namespace kiln::check {

namespace {

bool is_quant8(DataType dtype) { return dtype == KILN_DTYPE_INT8 || dtype == KILN_DTYPE_UINT8; }

int64_t lowest(DataType dtype) { return dtype == KILN_DTYPE_UINT8 ? 0 : -128; }
int64_t highest(DataType dtype) { return dtype == KILN_DTYPE_UINT8 ? 255 : 127; }

// A scale that spreads `magnitude` over about `steps` integers; an all-zero tensor gets a scale of its own.
float scale_for(double magnitude, double steps) {
  return static_cast<float>(magnitude > 0 ? magnitude / steps : 1.0 / steps);
}

}  // namespace

double max_magnitude(const Tensor& t) {
  double m = 0;
  for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, std::abs(element_at(t, i)));
  return m;
}

Quantization draw_activation_grid(Draw& d, DataType dtype, double magnitude, bool symmetric) {
  int32_t zero = 0;
  if (dtype == KILN_DTYPE_UINT8) zero = static_cast<int32_t>(d.integer(100, 156));
  else if (!symmetric && d.chance(0.5)) zero = static_cast<int32_t>(d.integer(5, 40) * (d.chance(0.5) ? 1 : -1));
  return Quantization::per_tensor(scale_for(magnitude, static_cast<double>(d.integer(60, 127))), zero, dtype);
}

Tensor quantize_values(const Tensor& real, const Quantization& q) {
  Tensor out(q.dtype, real.dims());
  const double scale = q.scales.at(0), zero = q.zero_points.at(0);
  for (int64_t i = 0; i < real.numel(); ++i) {
    const double integer = std::nearbyint(element_at(real, i) / scale) + zero;
    set_element(out, i, std::clamp(integer, static_cast<double>(lowest(q.dtype)), static_cast<double>(highest(q.dtype))));
  }
  return out;
}

Tensor dequantize_values(const Tensor& q, const Quantization& grid) {
  Tensor out(KILN_DTYPE_FLOAT32, q.dims());
  const float scale = grid.scales.at(0), zero = static_cast<float>(grid.zero_points.at(0));
  for (int64_t i = 0; i < q.numel(); ++i)
    set_element(out, i, static_cast<double>((static_cast<float>(element_at(q, i)) - zero) * scale));
  return out;
}

void quantize_input(Case& c, size_t index, DataType dtype, Draw& d, bool symmetric) {
  CaseInput& in = c.inputs.at(index);
  in.quant = draw_activation_grid(d, dtype, max_magnitude(in.data), symmetric);
  in.data = quantize_values(in.data, *in.quant);
}

void put_on_grid(CaseInput& weights, int axis, Draw& d, bool symmetric) {
  Tensor& w = weights.data;
  const int form = static_cast<int>(d.integer(0, symmetric ? 1 : 2));  // 0: per channel, 1: per tensor int8, 2: uint8
  const int64_t channels = form == 0 ? w.dims().at(static_cast<size_t>(axis)) : 1;
  int64_t inner = 1;
  for (size_t k = static_cast<size_t>(axis) + 1; form == 0 && k < w.dims().size(); ++k) inner *= w.dims()[k];
  auto channel = [&](int64_t i) { return form == 0 ? (i / inner) % channels : 0; };
  std::vector<double> largest(static_cast<size_t>(channels), 0.0);
  for (int64_t i = 0; i < w.numel(); ++i) {
    double& m = largest[static_cast<size_t>(channel(i))];
    m = std::max(m, std::abs(element_at(w, i)));
  }
  Quantization q;
  q.axis = form == 0 ? axis : -1;
  q.dtype = form == 2 ? KILN_DTYPE_UINT8 : KILN_DTYPE_INT8;
  for (double m : largest) {
    q.scales.push_back(scale_for(m, 127));
    q.zero_points.push_back(form == 2 ? 128 : 0);
  }
  // Stored as DequantizeLinear computes them, in float: the kernel recovers q exactly from w / scale.
  for (int64_t i = 0; i < w.numel(); ++i) {
    const float scale = q.scales[static_cast<size_t>(channel(i))];
    const double integer = std::clamp(std::nearbyint(element_at(w, i) / scale), -127.0, 127.0);
    set_element(w, i, static_cast<double>(static_cast<float>(integer) * scale));
  }
  weights.quant = q;
}

Quantization output_grid(const Tensor& reals, DataType dtype, Draw& d) {
  double lo = 0, hi = 0;
  for (int64_t i = 0; i < reals.numel(); ++i) {
    lo = std::min(lo, element_at(reals, i));
    hi = std::max(hi, element_at(reals, i));
  }
  // Up to 10% more steps than the integers have: the largest reals then saturate now and then. Symmetric most
  // of the time: GPU INT8 kernels write only such grids (a zero point sends them to slower paths or declines).
  if (dtype == KILN_DTYPE_INT8 && d.chance(0.75)) {
    return Quantization::per_tensor(scale_for(std::max(-lo, hi), static_cast<double>(d.integer(100, 140))), 0, dtype);
  }
  // The reals' middle on the integers' middle: both ends then saturate alike, or keep alike room.
  const float scale = scale_for(hi - lo, static_cast<double>(d.integer(200, 280)));
  const double middle = static_cast<double>(lowest(dtype) + highest(dtype)) / 2;
  const auto zero = static_cast<int32_t>(std::clamp(std::nearbyint(middle - (lo + hi) / 2 / scale),
                                                    static_cast<double>(lowest(dtype)), static_cast<double>(highest(dtype))));
  return Quantization::per_tensor(scale, zero, dtype);
}

bool share_one_grid(Case& c, Draw& d) {
  DataType dtype = KILN_DTYPE_UNDEFINED;
  for (const CaseInput& in : c.inputs)
    if (!in.data.empty() && is_quant8(in.data.dtype())) {
      dtype = in.data.dtype();
      break;
    }
  if (dtype == KILN_DTYPE_UNDEFINED) return false;
  const Quantization q = draw_activation_grid(d, dtype, d.real(0.5, 4));
  for (CaseInput& in : c.inputs) {
    if (in.data.empty() || in.data.dtype() != dtype) continue;
    // The whole integer range, so that a kernel reading int8 as unsigned (or clamping) is caught.
    in.data = d.tensor(dtype, in.data.dims(), static_cast<double>(lowest(dtype)), static_cast<double>(highest(dtype)));
    in.quant = q;
  }
  c.output_dtype = dtype;
  c.output_quant = q;
  return true;
}

}  // namespace kiln::check
