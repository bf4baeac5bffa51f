// The table of per-op case generators: for each op `kiln plugin check` can test, the opsets its generator
// writes nodes for and a function drawing one case. An op missing here is reported SKIP ("no case generator").
#ifndef KILN_CHECK_CASE_GENERATORS_HPP
#define KILN_CHECK_CASE_GENERATORS_HPP

#include <string>
#include <vector>

#include "case_context.hpp"

namespace kiln::check {

struct CaseGenerator {
  std::string domain;  // "" for ai.onnx
  std::string op_type;
  int opset_min, opset_max;  // the opsets whose attribute and input conventions the generator follows
  Case (*make)(CaseContext& ctx, const std::string& op_type);
  // How far a correct kernel may stray from the reference: 1 for one rounding per element, more for ops that
  // sum many terms (their tolerance is scaled by it).
  double tolerance_scale = 1;
  // int8/uint8 outputs requantized from float arithmetic (QLinearConv): one integer step off is within tolerance.
  bool requantizes = false;
};

// The generator for an op, or nullptr.
const CaseGenerator* find_generator(const std::string& domain, const std::string& op_type);
// The generator of an op's INT8 form (quantized activation, float weights), or nullptr.
const CaseGenerator* find_int8_generator(const std::string& domain, const std::string& op_type);

// A later step of a fused pattern: `op_type` reading `chained` (the previous step's output) at input
// `chained_input` (-1: any, drawn). BatchNormalization and binary ops get inputs shaped after `chained`; other
// ops are drawn by their generator with input 0 replaced. Throws NoCase for an op it cannot draw as a step.
Case follow_step(CaseContext& ctx, const std::string& op_type, const Tensor& chained, int32_t chained_input);

// Every generator, by family (case_generators_*.cpp).
std::vector<CaseGenerator> elementwise_generators();
std::vector<CaseGenerator> nn_generators();
std::vector<CaseGenerator> tensor_generators();
std::vector<CaseGenerator> indexing_generators();
std::vector<CaseGenerator> upsampling_generators();
std::vector<CaseGenerator> layout_generators();
std::vector<CaseGenerator> normalization_generators();
std::vector<CaseGenerator> quantize_linear_generators();
std::vector<CaseGenerator> loss_generators();
std::vector<CaseGenerator> integer_op_generators();  // ConvInteger, MatMulInteger (case_generators_int8.cpp)
std::vector<CaseGenerator> int8_generators();  // a table of its own: an INT8 Conv is not a float Conv

}  // namespace kiln::check

#endif  // KILN_CHECK_CASE_GENERATORS_HPP
