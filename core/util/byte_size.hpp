// Byte counts for people: "6.89 MiB".
#ifndef KILN_CORE_BYTE_SIZE_HPP
#define KILN_CORE_BYTE_SIZE_HPP

#include <cstddef>
#include <cstdio>
#include <string>

namespace kiln {

inline std::string format_mib(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

}  // namespace kiln

#endif  // KILN_CORE_BYTE_SIZE_HPP
