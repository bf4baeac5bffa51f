// The body of the INT8 GEMM kernels (ops/gemm_int8.cpp): Y = A x B (+ bias) on int8 A, as kiln's own int8
// kernel (common/conv_int8_imma.hpp) runs it: a product [M, K] x [K, N] is the 1x1 convolution of M pixels of K
// channels into N, so the tensor-core tiles, the fused requantization and the tile shapes timed at create are
// the convolution's. Y is int8 on a symmetric per-tensor grid, or float32 reals (a classifier's logits).
//
// Create quantizes the constant B per output column, symmetric (or recovers its integers from its own grid),
// folds alpha, A's and B's scales (and Y's) into one factor per column and beta * C into a bias per column, and
// times the tile shapes when M is known. A is read in place: dense row-major int8, K a multiple of 16 (16-byte
// rows), N a multiple of 8 (8-byte stores).
#ifndef KILN_CUDA_GEMM_INT8_LAYER_HPP
#define KILN_CUDA_GEMM_INT8_LAYER_HPP

#include <string>
#include <vector>

#include "common/conv_int8_imma.hpp"
#include "common/device_buffer.hpp"

namespace kiln::cuda {

// The product's constants as the op gives them.
struct GemmInt8Recipe {
  bool trans_b = false;   // B stored [N, K] (Gemm's transB=1) instead of [K, N]
  double alpha = 1.0;     // Y = alpha * A x B + beta * C
  double beta = 1.0;
  int c_input = -1;       // the node's input position of C, a constant with one value or one per column; -1: none
};

// Why `node` (A at input 0, B at input 1) cannot run as an INT8 GEMM here, or "": A int8 per tensor, symmetric;
// B a float constant of rank 2 (its own grid, if any, symmetric int8 per tensor or per output column); K a
// multiple of 16 and N of 8; Y symmetric int8 per tensor, float32, or not decided yet.
std::string gemm_int8_reason(const Node& node, const GemmInt8Recipe& recipe);

class GemmInt8Layer {
 public:
  GemmInt8Layer(const Node& node, const GemmInt8Recipe& recipe);

  void execute(const ExecContext& ctx) const;

 private:
  ConvInt8ImmaShape shape_for(int64_t m) const;

  std::string label_;
  int64_t k_ = 0, n_ = 0;
  bool reals_ = false;  // Y float32
  DeviceBuffer weight_, scale_, bias_;
  ConvInt8ImmaArgs constants_;
  int tile_ = 0;
};

}  // namespace kiln::cuda

#endif  // KILN_CUDA_GEMM_INT8_LAYER_HPP
