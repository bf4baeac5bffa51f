#include "kernel_checker.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "case_run.hpp"
#include "format.hpp"
#include "plugin/kernel_flags.hpp"
#include "select/kernel_match.hpp"

namespace kiln::check {

namespace {

// The dtypes both kernels accept at each position; one entry more than either declares, for later positions.
std::vector<uint64_t> shared_dtypes(const kiln_kernel_desc& a, const kiln_kernel_desc& b, bool output) {
  const int32_t n =
      output ? std::max(a.num_output_specs, b.num_output_specs) : std::max(a.num_input_specs, b.num_input_specs);
  std::vector<uint64_t> masks;
  for (int32_t i = 0; i <= n; ++i) {
    const kiln_io_spec* x = io_spec_at(a, output, static_cast<size_t>(i));
    const kiln_io_spec* y = io_spec_at(b, output, static_cast<size_t>(i));
    masks.push_back(x && y ? x->dtypes & y->dtypes : 0);
  }
  return masks;
}

// The int8/uint8 the kernel itself takes at each position added to `masks` (one entry per position, as above).
void add_own_integers(const kiln_kernel_desc& k, bool output, std::vector<uint64_t>& masks) {
  for (size_t i = 0; i < masks.size(); ++i)
    if (const kiln_io_spec* spec = io_spec_at(k, output, i)) masks[i] |= spec->dtypes & kQuant8;
}

}  // namespace

// The reference kernel and case generator a kernel is checked with (for a fused kernel, those of its first
// step's first op), or why there are none.
std::string KernelChecker::find_oracle(const kiln_kernel_desc& k, const KernelEntry*& reference,
                                       const CaseGenerator*& generator) const {
  std::string domain = k.domain, op = k.op_type;
  if (k.pattern_length > 0) {
    domain = k.pattern[0].domain;
    op = k.pattern[0].op_type;
    op = op.substr(0, op.find('|'));
  }
  reference = reference_kernel(reference_, domain, op, k.opset_min, k.opset_max);
  if (!reference)
    return !domain.empty() ? "no reference kernel for domain " + domain
                           : "no reference kernel for " + op_label(domain, op) + " at opsets " +
                                 std::to_string(k.opset_min) + "-" + std::to_string(k.opset_max);
  generator = find_generator(domain, op);
  return generator ? "" : "op " + op_label(domain, op) + " has no case generator";
}

// An INT8 kernel's oracle: the reference's INT8 kernel of the same op (a fused one: of the same fused op), and
// the INT8 generator of its (first step's) op; or why there are none.
std::string KernelChecker::find_int8_oracle(const kiln_kernel_desc& k, const KernelEntry*& reference,
                                            const CaseGenerator*& generator) const {
  const bool fused = k.pattern_length > 0;
  reference = reference_int8_kernel(reference_, k.domain, k.op_type, fused, k.opset_min, k.opset_max);
  if (!reference)
    return !std::string(k.domain).empty() ? "no reference kernel for domain " + std::string(k.domain)
                                          : "INT8 kernel: the reference pack has no INT8 kernel for " +
                                                op_label(k.domain, k.op_type) + (fused ? " (fused)" : "");
  std::string domain = k.domain, op = k.op_type;
  if (fused) {
    domain = k.pattern[0].domain;
    op = k.pattern[0].op_type;
    op = op.substr(0, op.find('|'));
  }
  generator = find_int8_generator(domain, op);
  return generator ? "" : "INT8 kernel: op " + op_label(domain, op) + " has no INT8 case generator";
}

// How the kernel's cases are drawn and against what: a QUANTIZED kernel as its op's INT8 form when the
// reference has one; otherwise as the float op, every other case on a shared grid when both kernels are
// pass-through (a QUANTIZED max pool that is also pass-through is checked so), or between grids for a plain
// (not fused) QUANTIZED one. Returns why none, or "".
std::string KernelChecker::choose_oracle(const KernelEntry& kernel, KernelUnderCheck& under) const {
  const bool passthrough = has_kernel_flag(kernel, KILN_KERNEL_QUANT_PASSTHROUGH);
  const bool quantized = has_kernel_flag(kernel, KILN_KERNEL_QUANTIZED);
  std::string int8_why;
  if (quantized) {
    int8_why = find_int8_oracle(*kernel.desc, under.reference, under.generator);
    if (int8_why.empty()) under.mode = CaseMode::Int8;
    if (int8_why.empty() || (!passthrough && kernel.desc->pattern_length > 0)) return int8_why;
  }
  if (std::string why = find_oracle(*kernel.desc, under.reference, under.generator); !why.empty())
    return quantized && !passthrough ? int8_why : why;
  if (passthrough && has_kernel_flag(*under.reference, KILN_KERNEL_QUANT_PASSTHROUGH)) under.mode = CaseMode::SharedGrid;
  else if (quantized && !passthrough) under.mode = CaseMode::FloatChain;
  return "";
}

KernelReport KernelChecker::check(const KernelEntry& kernel) const {
  const kiln_kernel_desc& k = *kernel.desc;
  KernelReport report;
  report.kernel = k.name;
  auto skip = [&](std::string why) {
    report.detail = std::move(why);
    return report;
  };
  KernelUnderCheck under{kernel, reference_, nullptr, nullptr, std::nullopt, 0, 0, {}, {}, CaseMode::Float};
  if (k.device != KILN_DEVICE_CPU) {  // first: without its device, nothing else about the kernel matters here
    const kiln_device_api* api = kernel.library ? kernel.library->device_api() : nullptr;
    if (!api || api->device != k.device) return skip("device kernel, but its pack offers no API for that device");
    if (api->device_count() == 0) return skip("no GPU (the pack's device_count() is 0)");
    under.device.emplace(api);
  }
  if (std::string why = choose_oracle(kernel, under); !why.empty()) return skip(why);
  const kiln_kernel_desc& ref = *under.reference->desc;
  under.opset_min = std::max({k.opset_min, ref.opset_min, under.generator->opset_min});
  under.opset_max = std::min({k.opset_max, ref.opset_max, under.generator->opset_max});
  if (under.opset_min > under.opset_max)
    return skip("no opset that the kernel, the reference kernel and the case generator (" +
                std::to_string(under.generator->opset_min) + "-" + std::to_string(under.generator->opset_max) +
                ") share");
  under.inputs = shared_dtypes(k, ref, false);
  under.outputs = shared_dtypes(k, ref, true);
  if (under.mode == CaseMode::FloatChain) {  // the reference's float kernel takes none of the integers
    add_own_integers(k, false, under.inputs);
    add_own_integers(k, true, under.outputs);
  }

  std::string first_decline;
  for (int i = 0; i < options_.cases; ++i) {
    Draw draw(case_seed(options_.seed, k.name, i));
    CaseContext ctx(draw, static_cast<int>(draw.integer(under.opset_min, under.opset_max)), under.inputs,
                    under.outputs, i % 6 == 1);
    Case c;
    FusedCase chain;
    CaseResult result;
    try {
      const bool int8 = under.mode == CaseMode::Int8;
      if (k.pattern_length > 0) {
        result = int8 ? run_int8_fused_case(under, ctx, chain) : run_fused_case(under, ctx, chain);
      } else if (under.mode == CaseMode::SharedGrid && i % 2 == 1) {
        result = run_shared_grid_case(under, ctx, c);
      } else if (under.mode == CaseMode::FloatChain && (i % 2 == 1 || !(under.inputs[0] & kFloats))) {
        result = run_float_chain_case(under, ctx, c);
      } else {
        c = under.generator->make(ctx, k.op_type);
        c.domain = k.domain;
        result = int8 ? run_int8_case(under, ctx, c) : run_case(under, c);
      }
    } catch (const NoCase& e) {
      result = declined(e.what());
    } catch (const std::exception& e) {
      result = declined(std::string("no case could be drawn: ") + e.what());
    }
    const std::string label = "case " + std::to_string(i) + " (opset " + std::to_string(ctx.opset()) + "): ";
    const std::string what = k.pattern_length > 0 ? chain.describe() : c.describe();
    if (options_.verbose)
      options_.verbose("  " + label + what + ": " +
                       (result.kind == CaseResult::Compared ? "ok, worst abs " + format_number(result.worst_abs, "%.2g")
                        : result.kind == CaseResult::Declined ? "declined: " + result.text
                                                              : "FAILED: " + result.text));
    if (result.kind == CaseResult::Declined) {
      ++report.declined;
      if (first_decline.empty()) first_decline = result.text;
      continue;
    }
    if (result.kind == CaseResult::Failed) {
      report.status = KernelReport::Fail;
      report.detail = label + what + ": " + result.text;
      return report;
    }
    ++report.cases;
    report.worst_abs = std::max(report.worst_abs, result.worst_abs);
    report.worst_rel = std::max(report.worst_rel, result.worst_rel);
  }
  if (report.cases == 0)
    return skip("all " + std::to_string(options_.cases) + " cases declined (first: " + first_decline + ")");
  report.status = KernelReport::Pass;
  return report;
}

}  // namespace kiln::check
