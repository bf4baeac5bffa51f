// libFuzzer target: arbitrary bytes as a .npy file must load or fail with kiln::Error, never crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "util/error.hpp"
#include "util/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/kiln-fuzz-" + std::to_string(getpid()) + ".npy";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    kiln::read_npy(path);
  } catch (const kiln::Error&) {
  } catch (const std::bad_alloc&) {
  }
  return 0;
}
