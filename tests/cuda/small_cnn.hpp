// A small ResNet-like CNN built by hand, batch 4: a conv/BN/ReLU stem, max pooling, a residual block, a strided
// conv, global average pooling and a fully connected layer. Small enough to run on the CPU reference in well
// under a second, with every kind of layer a classifier has.
#ifndef KILN_TESTS_CUDA_SMALL_CNN_HPP
#define KILN_TESTS_CUDA_SMALL_CNN_HPP

#include <string>

#include "case_builder.hpp"

namespace kiln::cuda_test {

// Conv (no bias, as before a BatchNormalization) -> BatchNormalization [-> Add(residual)] -> Relu.
inline Value* conv_bn_relu(CaseBuilder& b, const std::string& name, Value* x, int64_t in, int64_t out, int64_t stride,
                           Value* residual = nullptr) {
  Value* w = b.scaled_weight(name + "_w", {out, in, 3, 3}, in * 9);
  Value* y = b.op("Conv", {x, w},
                  {{"kernel_shape", ints_attr({3, 3})}, {"strides", ints_attr({stride, stride})}, {"pads", ints_attr({1, 1, 1, 1})}}, 11);
  y = b.op("BatchNormalization",
           {y, b.weight(name + "_scale", {out}, 0.5f, 1.5f), b.weight(name + "_shift", {out}, -0.5f, 0.5f),
            b.weight(name + "_mean", {out}, -0.5f, 0.5f), b.weight(name + "_var", {out}, 0.5f, 2.f)},
           {{"epsilon", float_attr(1e-5f)}}, 15);
  if (residual) y = b.op("Add", {y, residual}, {}, 14);
  return b.op("Relu", {y}, {}, 14);
}

// image [4, 3, 32, 32] -> logits [4, 10].
inline Value* small_cnn(CaseBuilder& b) {
  Value* image = b.input("image", {4, 3, 32, 32});
  Value* stem = conv_bn_relu(b, "stem", image, 3, 16, 1);  // [4, 16, 32, 32]
  Value* pooled = b.op("MaxPool", {stem},
                       {{"kernel_shape", ints_attr({3, 3})}, {"strides", ints_attr({2, 2})}, {"pads", ints_attr({1, 1, 1, 1})}}, 12);
  Value* inner = conv_bn_relu(b, "block_a", pooled, 16, 16, 1);            // [4, 16, 16, 16]
  Value* block = conv_bn_relu(b, "block_b", inner, 16, 16, 1, pooled);     // the residual connection
  Value* down = conv_bn_relu(b, "down", block, 16, 32, 2);                 // [4, 32, 8, 8]
  Value* pooled_all = b.op("GlobalAveragePool", {down}, {}, 1);            // [4, 32, 1, 1]
  Value* flat = b.op("Flatten", {pooled_all}, {{"axis", int_attr(1)}}, 13);  // [4, 32]
  return b.op("Gemm", {flat, b.scaled_weight("fc_w", {10, 32}, 32), b.weight("fc_b", {10})}, {{"transB", int_attr(1)}}, 13);
}

}  // namespace kiln::cuda_test

#endif  // KILN_TESTS_CUDA_SMALL_CNN_HPP
