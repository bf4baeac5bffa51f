// libFuzzer target: arbitrary bytes as a plan file must parse or fail with kiln::Error, never crash or
// over-allocate. The checksum and payload-length checks are off, or nearly every mutation would stop there
// instead of reaching the section readers. A plan that parses must also survive a write and a strict re-read:
// the writer and the reader agree on everything the reader accepts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "planfile/plan_file.hpp"
#include "planfile/plan_parse.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  kiln::PlanContents plan;
  try {
    plan = kiln::planfile::parse_plan(bytes, "fuzz.plan", kiln::planfile::ParseOptions{false});
  } catch (const kiln::Error&) {
    return 0;
  }
  try {
    kiln::parse_plan(kiln::serialize_plan(plan), "rewritten.plan");
  } catch (const kiln::Error& e) {
    std::fprintf(stderr, "a plan that parsed does not parse after a rewrite: %s\n", e.what());
    std::abort();
  }
  return 0;
}
