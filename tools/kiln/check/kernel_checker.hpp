// Checking one kernel against the reference pack: for each of N drawn cases, run the reference's kernel for the
// same op (for a fused-pattern kernel, its steps one after another) and the checked kernel (plain, and in every
// variant its flags and hooks promise) and compare; the kernel's verdict is PASS, FAIL (with the first failing
// case) or SKIP (with the reason no case could run).
#ifndef KILN_CHECK_KERNEL_CHECKER_HPP
#define KILN_CHECK_KERNEL_CHECKER_HPP

#include <cstdint>
#include <functional>
#include <string>

#include "plugin/plugin_registry.hpp"

namespace kiln::check {

struct CaseGenerator;
struct KernelUnderCheck;

struct CheckOptions {
  int cases = 24;
  uint64_t seed = 1;
  std::function<void(const std::string&)> verbose;  // one line per case when set
};

struct KernelReport {
  enum Status { Pass, Fail, Skip };
  Status status = Skip;
  std::string kernel;
  int cases = 0;     // cases both kernels ran and that were compared
  int declined = 0;  // cases one kernel declined, or that could not be drawn for the kernels' dtypes
  double worst_abs = 0, worst_rel = 0;
  std::string detail;  // FAIL: the failing case and the error; SKIP: why
};

class KernelChecker {
 public:
  KernelChecker(const PluginRegistry& reference, CheckOptions options)
      : reference_(reference), options_(std::move(options)) {}
  KernelReport check(const KernelEntry& kernel) const;

 private:
  std::string find_oracle(const kiln_kernel_desc& kernel, const KernelEntry*& reference,
                          const CaseGenerator*& generator) const;
  std::string find_int8_oracle(const kiln_kernel_desc& kernel, const KernelEntry*& reference,
                               const CaseGenerator*& generator) const;
  std::string choose_oracle(const KernelEntry& kernel, KernelUnderCheck& under) const;

  const PluginRegistry& reference_;
  CheckOptions options_;
};

}  // namespace kiln::check

#endif  // KILN_CHECK_KERNEL_CHECKER_HPP
