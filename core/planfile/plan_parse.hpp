// parse_plan with options the public API does not offer: the fuzzer turns the checksum off so that mutated
// bytes reach the section readers instead of all stopping at the checksum.
#ifndef KILN_CORE_PLAN_PARSE_HPP
#define KILN_CORE_PLAN_PARSE_HPP

#include <string>

#include "planfile/plan_contents.hpp"

namespace kiln {
namespace planfile {

struct ParseOptions {
  bool verify_checksum = true;
};

PlanContents parse_plan(const std::string& bytes, const std::string& source_name, const ParseOptions& options);

}  // namespace planfile
}  // namespace kiln

#endif  // KILN_CORE_PLAN_PARSE_HPP
