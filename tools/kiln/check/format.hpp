// Numbers in `kiln plugin check`'s lines: printf formats, with NaN always spelled "nan".
#ifndef KILN_CHECK_FORMAT_HPP
#define KILN_CHECK_FORMAT_HPP

#include <cmath>
#include <cstdio>
#include <string>

namespace kiln::check {

// `printf_format` takes one double: "%g" (attributes), "%.2g" (errors), "%.1e" (the PASS line's worst errors).
inline std::string format_number(double v, const char* printf_format = "%g") {
  if (std::isnan(v)) return "nan";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, printf_format, v);
  return buffer;
}

}  // namespace kiln::check

#endif  // KILN_CHECK_FORMAT_HPP
