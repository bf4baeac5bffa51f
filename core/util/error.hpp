// kiln::Error: every failure the core reports to a user. The message names the file, node and field at fault.
// kiln::Unsupported: the model is legal but nothing loaded can run it (an op, type or attribute value no
// kernel implements); tools report it apart from real errors.
#ifndef KILN_CORE_ERROR_HPP
#define KILN_CORE_ERROR_HPP

#include <stdexcept>
#include <string>

namespace kiln {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

class Unsupported : public Error {
 public:
  explicit Unsupported(const std::string& message) : Error(message) {}
};

}  // namespace kiln

#endif  // KILN_CORE_ERROR_HPP
