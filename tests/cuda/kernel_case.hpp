// One row of the kernel table (cuda_kernel_test.cpp): a case's name, the graph it builds from a seed, how close
// the GPU must come to the oracle, and, for the cases that need them, how the oracle's side differs.
#ifndef KILN_TESTS_CUDA_KERNEL_CASE_HPP
#define KILN_TESTS_CUDA_KERNEL_CASE_HPP

#include <functional>
#include <string>
#include <utility>

#include "case_builder.hpp"
#include "gpu_test_support.hpp"

namespace kiln::cuda_test {

// How an op's result may differ from the oracle's (see tolerance()).
enum class Accuracy {
  Exact,         // data movement, max/min, casts: the same values, bit for bit
  Pointwise,     // one rounding per element
  Accumulating,  // sums over many products: convolutions, GEMMs, pools and reductions
  Quantized,     // INT8 kernels: a float epilogue may round a tie the other way (docs/quantization.md): one integer
                 // step for int8 outputs, 1e-3 relative for float ones
};

struct KernelCase {
  KernelCase(std::string name, std::function<void(CaseBuilder&)> build, Accuracy accuracy = Accuracy::Pointwise,
             std::string fused_kernel = "", bool fp16 = true)
      : name(std::move(name)), build(std::move(build)), accuracy(accuracy), fused_kernel(std::move(fused_kernel)), fp16(fp16) {}

  std::string name;  // "<Op>_<what the case varies>": the test's name
  std::function<void(CaseBuilder&)> build;
  Accuracy accuracy;
  std::string fused_kernel;  // the CUDA kernel the whole chain must become ("": a single node)
  bool fp16;                 // also run with precision fp16

  // For INT8 cases (int8_cases.hpp):
  // The oracle's own graph, when the reference has no kernel for the case's: the float chain the INT8 node stands
  // for (DequantizeLinear -> op -> QuantizeLinear), with the same inputs and output names. Empty: `build`.
  std::function<void(CaseBuilder&)> oracle_build;
  // The oracle fuses chains too: the reference's INT8 convolution is a fused-pattern kernel (ConvFusedInt8).
  bool fused_oracle = false;
  // How many of the graph's nodes the fused kernel must take when the graph has more (Q/DQ around the chain);
  // 0: all of them.
  size_t fused_steps = 0;
  // How far a dequantized float output may be off: one step of the grid it was dequantized from, when the INT8
  // kernel may round a tie the other way (Accuracy::Quantized). 0: no such allowance.
  double step = 0;
};

// fp16 data is rounded to float16 before either side sees it, so what remains is the kernel's own rounding:
// half an ulp of float16 (4.9e-4) per stored value, more where a sum of many terms is rounded.
inline Tolerance tolerance(Accuracy accuracy, bool fp16) {
  switch (accuracy) {
    case Accuracy::Exact: return {0, 0};
    case Accuracy::Pointwise: return fp16 ? Tolerance{5e-3, 0} : Tolerance{1e-4, 0};
    case Accuracy::Accumulating: return fp16 ? Tolerance{2e-2, 5e-3} : Tolerance{1e-4, 0};
    case Accuracy::Quantized: return Tolerance{1e-3, 0, 1};
  }
  return {};
}

}  // namespace kiln::cuda_test

#endif  // KILN_TESTS_CUDA_KERNEL_CASE_HPP
