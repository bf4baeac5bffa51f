// Quantization parameters for INT8 cases (docs/quantization.md): per-tensor grids for activations, drawn
// symmetric or not; float weights put on a per-output-channel (or per-tensor) grid, as a folded
// DequantizeLinear leaves them; an output grid fitted to the reals the reference computed; and one grid shared
// by every integer input and the output of a pass-through case.
#ifndef KILN_CHECK_QUANTIZE_CASE_HPP
#define KILN_CHECK_QUANTIZE_CASE_HPP

#include "check_case.hpp"
#include "draw.hpp"
#include "ir/quantization.hpp"

namespace kiln::check {

// A per-tensor grid for an int8/uint8 activation whose reals reach about `magnitude`: int8 symmetric (zero
// point 0) half of the time (always with `symmetric`), otherwise a zero point away from the middle, so that a
// kernel ignoring it fails.
Quantization draw_activation_grid(Draw& d, DataType dtype, double magnitude, bool symmetric = false);

// `real`'s values on grid `q`: saturate(round_half_even(x / scale) + zero), in q.dtype.
Tensor quantize_values(const Tensor& real, const Quantization& q);

// `q`'s reals as DequantizeLinear computes them: (q - zero) * scale, in float32.
Tensor dequantize_values(const Tensor& q, const Quantization& grid);

// Input `index` of `c` (a float tensor) replaced by its integers on a grid drawn for `dtype` (as above).
void quantize_input(Case& c, size_t index, DataType dtype, Draw& d, bool symmetric = false);

// Float weights moved onto an int8 grid, per output channel along `axis` (symmetric) or per tensor (uint8 with
// zero point 128, or int8; int8 only with `symmetric`), their values then exactly (q - zero) * scale: the grid
// is what the case carries.
void put_on_grid(CaseInput& weights, int axis, Draw& d, bool symmetric = false);

// A grid for an output of `dtype` (int8/uint8) covering most of `reals` (the largest saturate some of the time).
Quantization output_grid(const Tensor& reals, DataType dtype, Draw& d);

// Every int8/uint8 input of `c` and its output 0 on one grid: what the builder gives a pass-through layer.
// Returns false when `c` has no int8/uint8 input.
bool share_one_grid(Case& c, Draw& d);

// The largest |x| of a tensor (0 for an empty one).
double max_magnitude(const Tensor& t);

}  // namespace kiln::check

#endif  // KILN_CHECK_QUANTIZE_CASE_HPP
