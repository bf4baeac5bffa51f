// libFuzzer target: arbitrary text as a YAML build config must parse or fail with kiln::Error, never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/build_config.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    kiln::parse_build_config(std::string(reinterpret_cast<const char*>(data), size), "/tmp/fuzz.yaml");
  } catch (const kiln::Error&) {
  }
  return 0;
}
