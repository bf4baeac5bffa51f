// What the Gemm and MatMul kernels share around cuBLASLt (common/gemm_lt.hpp): operands that are constants
// uploaded once or inputs read per call, and a product planned (and timed) for the shape known at create, with
// shapes only known per call given cuBLASLt's first heuristic choice.
#ifndef KILN_CUDA_GEMM_LAYER_HPP
#define KILN_CUDA_GEMM_LAYER_HPP

#include <cuda_runtime.h>

#include <memory>
#include <string>
#include <vector>

#include "common/device_buffer.hpp"
#include "common/gemm_lt.hpp"

namespace kiln::cuda {

// An operand of a product: a constant uploaded in create (converted to the compute dtype), or an input whose
// device memory execute reads.
class GemmOperand {
 public:
  GemmOperand(const Node& node, int input, kiln_dtype dtype);

  bool constant() const { return dims_known_; }
  const void* uploaded() const { return constant_.get(); }
  // Its dims and memory for one call. Inputs must be dense row-major.
  std::vector<int64_t> dims(const ExecContext& ctx) const;
  const void* device(const ExecContext& ctx) const;

 private:
  int input_;
  std::vector<int64_t> dims_;  // a constant's
  bool dims_known_ = false;  // a constant, uploaded
  DeviceBuffer constant_;
};

class GemmLayer {
 public:
  explicit GemmLayer(std::string label) : label_(std::move(label)) {}

  // Plans `shape` (known at create): tunes the algorithm on the constants in `constants` and scratch elsewhere,
  // and notes the decision on `node`. `bias`: device memory of N values, when the shape has a bias.
  void plan(const GemmShape& shape, const void* bias, const GemmPointers& constants, const Node& node);
  size_t workspace_size(const GemmShape& shape) const;
  // Enqueues the product of one call on the context's stream.
  void run(const GemmShape& shape, const void* bias, const GemmPointers& p, float alpha, float beta,
           const ExecContext& ctx) const;

 private:
  std::string label_;
  GemmShape planned_shape_;
  std::unique_ptr<LtGemm> planned_;
};

// Whether an execute-time tensor is dense row-major (strides absent, or equal to the dense ones).
bool dense_row_major(const Tensor& t);

// Why a known dim of 0 in K keeps a product off cuBLASLt, or "".
inline std::string empty_k_reason(int64_t k) { return k == 0 ? "a product over K = 0 is left to the reference" : ""; }

}  // namespace kiln::cuda

#endif  // KILN_CUDA_GEMM_LAYER_HPP
