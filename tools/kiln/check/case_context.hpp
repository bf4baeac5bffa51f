// What a case generator is given: random draws, the opset to write the node for, which dtypes both kernels
// accept at each position, and whether this case is an edge case (an empty tensor where the op allows one).
#ifndef KILN_CHECK_CASE_CONTEXT_HPP
#define KILN_CHECK_CASE_CONTEXT_HPP

#include <stdexcept>
#include <string>
#include <vector>

#include "check_case.hpp"
#include "draw.hpp"

namespace kiln::check {

// Thrown by a generator that cannot draw a case for these kernels (no dtype both accept): the case is declined.
struct NoCase : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Dtype masks a generator asks for.
constexpr uint64_t kFloats = KILN_DTYPES_FLOAT | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16);
constexpr uint64_t kSignedNumbers = kFloats | KILN_DTYPES_SIGNED_INT;
constexpr uint64_t kNumbers = kFloats | KILN_DTYPES_SIGNED_INT | KILN_DTYPES_UNSIGNED_INT;
constexpr uint64_t kIndices = KILN_DTYPE_BIT(KILN_DTYPE_INT64) | KILN_DTYPE_BIT(KILN_DTYPE_INT32);
constexpr uint64_t kQuant8 = KILN_DTYPE_BIT(KILN_DTYPE_INT8) | KILN_DTYPE_BIT(KILN_DTYPE_UINT8);  // INT8 activations

class CaseContext {
 public:
  // `inputs` / `outputs`: per position, the dtypes both the checked and the reference kernel accept there (the
  // last entry applies to any later position).
  CaseContext(Draw& draw, int opset, std::vector<uint64_t> inputs, std::vector<uint64_t> outputs, bool empty_edge)
      : draw_(draw), opset_(opset), inputs_(std::move(inputs)), outputs_(std::move(outputs)), empty_edge_(empty_edge) {}

  Draw& draw() { return draw_; }
  int opset() const { return opset_; }
  // Whether this case should hold a tensor with a 0 dim where the op allows one.
  bool empty_edge() const { return empty_edge_; }

  // A dtype among `wanted` that both kernels accept at every input position in `positions` (and at output 0
  // when `with_output` is set); throws NoCase when there is none.
  DataType dtype(const std::vector<size_t>& positions, uint64_t wanted, bool with_output = true);
  // A tensor of random values in [lo, hi].
  Tensor random(DataType dtype, std::vector<int64_t> dims, double lo = -2, double hi = 2) {
    return draw_.tensor(dtype, std::move(dims), lo, hi);
  }
  // `dims` with one of them (among positions [from, rank)) set to 0 when this is an empty edge case.
  std::vector<int64_t> maybe_empty(std::vector<int64_t> dims, size_t from = 0);
  // A 1-D integer constant (shape, axes, pads) in the dtype both kernels accept at `position`.
  Tensor indices(size_t position, const std::vector<int64_t>& values);
  // A case for this context's opset.
  Case make(const std::string& op_type) const {
    Case c;
    c.op_type = op_type;
    c.opset = opset_;
    return c;
  }

 private:
  uint64_t input_mask(size_t position) const;

  Draw& draw_;
  int opset_;
  std::vector<uint64_t> inputs_, outputs_;
  bool empty_edge_;
};

}  // namespace kiln::check

#endif  // KILN_CHECK_CASE_CONTEXT_HPP
