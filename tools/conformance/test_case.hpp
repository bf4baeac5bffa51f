// One ONNX backend test: a folder with model.onnx and test_data_set_*/{input,output}_<i>.pb.
#ifndef KILN_CONFORMANCE_TEST_CASE_HPP
#define KILN_CONFORMANCE_TEST_CASE_HPP

#include <string>

#include "config/build_config.hpp"
#include "plugin/plugin_registry.hpp"

namespace kiln::conformance {

enum class Outcome { Pass, Wrong, Unsupported, Error, Crash, Timeout };
const char* outcome_name(Outcome outcome);

struct Result {
  Outcome outcome = Outcome::Error;
  std::string detail;  // why it did not pass
};

// Imports, builds and runs every data set of the test in `dir`, comparing with the ONNX rule.
// Never throws: every failure becomes a Result.
Result run_test_case(const std::string& dir, const BuildConfig& config, PluginRegistry& registry);

}  // namespace kiln::conformance

#endif  // KILN_CONFORMANCE_TEST_CASE_HPP
