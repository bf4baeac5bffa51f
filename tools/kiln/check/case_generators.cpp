#include "case_generators.hpp"

namespace kiln::check {

namespace {

std::vector<CaseGenerator> all_generators() {
  std::vector<CaseGenerator> all;
  for (auto family : {&elementwise_generators, &nn_generators, &tensor_generators, &indexing_generators,
                        &upsampling_generators, &layout_generators, &normalization_generators,
                        &quantize_linear_generators, &integer_op_generators, &loss_generators})
    for (CaseGenerator& g : family()) all.push_back(std::move(g));
  return all;
}

const CaseGenerator* find_in(const std::vector<CaseGenerator>& table, const std::string& domain,
                             const std::string& op_type) {
  for (const CaseGenerator& g : table)
    if (g.domain == domain && g.op_type == op_type) return &g;
  return nullptr;
}

}  // namespace

const CaseGenerator* find_generator(const std::string& domain, const std::string& op_type) {
  static const std::vector<CaseGenerator> table = all_generators();
  return find_in(table, domain, op_type);
}

const CaseGenerator* find_int8_generator(const std::string& domain, const std::string& op_type) {
  static const std::vector<CaseGenerator> table = int8_generators();
  return find_in(table, domain, op_type);
}

}  // namespace kiln::check
