// The lines `kiln plugin check` prints: one per kernel and a summary.
#ifndef KILN_CHECK_REPORT_HPP
#define KILN_CHECK_REPORT_HPP

#include <string>
#include <vector>

#include "kernel_checker.hpp"

namespace kiln::check {

// "PASS kiln.cpu_ref.Conv  48 cases (6 declined)  worst abs 2.4e-06 rel 1.1e-06", "FAIL name  case 17 ...",
// "SKIP name  (reason: no GPU ...)".
std::string report_line(const KernelReport& report);

// "summary: 52 kernels: 40 passed, 1 failed, 11 skipped" (skips never count as passes).
std::string summary_line(const std::vector<KernelReport>& reports);

// 0 when no kernel failed, 1 otherwise (usage and load errors are 2, decided by the command).
int exit_status(const std::vector<KernelReport>& reports);

}  // namespace kiln::check

#endif  // KILN_CHECK_REPORT_HPP
