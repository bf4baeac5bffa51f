// kiln::Error: every failure the core reports to a user. The message names the file, node and field at fault.
#ifndef KILN_CORE_ERROR_HPP
#define KILN_CORE_ERROR_HPP

#include <stdexcept>
#include <string>

namespace kiln {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace kiln

#endif  // KILN_CORE_ERROR_HPP
