#include "planfile/plan_format.hpp"

#include <cstdio>

namespace kiln {
namespace planfile {

std::string section_name(uint32_t tag) {
  std::string name;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((tag >> (8 * i)) & 0xFFu);
    if (c < 0x20 || c > 0x7E) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08x", tag);
      return hex;
    }
    name += c;
  }
  return name;
}

}  // namespace planfile
}  // namespace kiln
