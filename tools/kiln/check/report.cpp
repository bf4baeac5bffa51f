#include "report.hpp"

#include "format.hpp"

namespace kiln::check {

std::string report_line(const KernelReport& r) {
  switch (r.status) {
    case KernelReport::Pass:
      return "PASS " + r.kernel + "  " + std::to_string(r.cases) + " cases (" + std::to_string(r.declined) +
             " declined)  worst abs " + format_number(r.worst_abs, "%.1e") + " rel " +
             format_number(r.worst_rel, "%.1e");
    case KernelReport::Fail: return "FAIL " + r.kernel + "  " + r.detail;
    case KernelReport::Skip: return "SKIP " + r.kernel + "  (reason: " + r.detail + ")";
  }
  return "";
}

std::string summary_line(const std::vector<KernelReport>& reports) {
  int passed = 0, failed = 0, skipped = 0;
  for (const KernelReport& r : reports) {
    passed += r.status == KernelReport::Pass;
    failed += r.status == KernelReport::Fail;
    skipped += r.status == KernelReport::Skip;
  }
  return "summary: " + std::to_string(reports.size()) + " kernels: " + std::to_string(passed) + " passed, " +
         std::to_string(failed) + " failed, " + std::to_string(skipped) + " skipped";
}

int exit_status(const std::vector<KernelReport>& reports) {
  for (const KernelReport& r : reports)
    if (r.status == KernelReport::Fail) return 1;
  return 0;
}

}  // namespace kiln::check
