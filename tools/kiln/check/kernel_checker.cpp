#include "kernel_checker.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "case_generators.hpp"
#include "compare.hpp"
#include "format.hpp"
#include "kernel_run.hpp"
#include "plugin/kernel_flags.hpp"
#include "select/kernel_match.hpp"

namespace kiln::check {

namespace {

// What one case came to.
struct CaseResult {
  enum Kind { Compared, Declined, Failed };
  Kind kind = Compared;
  std::string text;  // the decline's reason or the failure
  double worst_abs = 0, worst_rel = 0;
};

CaseResult declined(std::string why) { return {CaseResult::Declined, std::move(why)}; }
CaseResult failed(std::string why) { return {CaseResult::Failed, std::move(why)}; }


// The dtypes both kernels accept at each position; one entry more than either declares, for later positions.
std::vector<uint64_t> shared_dtypes(const kiln_kernel_desc& a, const kiln_kernel_desc& b, bool output) {
  const int32_t n = output ? std::max(a.num_output_specs, b.num_output_specs) : std::max(a.num_input_specs, b.num_input_specs);
  std::vector<uint64_t> masks;
  for (int32_t i = 0; i <= n; ++i) {
    const kiln_io_spec* x = io_spec_at(a, output, static_cast<size_t>(i));
    const kiln_io_spec* y = io_spec_at(b, output, static_cast<size_t>(i));
    masks.push_back(x && y ? x->dtypes & y->dtypes : 0);
  }
  return masks;
}

std::vector<const Tensor*> present(const std::vector<Tensor>& inputs) {
  std::vector<const Tensor*> p;
  for (const Tensor& t : inputs) p.push_back(t.empty() ? nullptr : &t);
  return p;
}

std::string describe_shape(const OutputShape& s) { return dtype_name(s.dtype) + format_dims(s.dims); }

// Where the checked kernel's own shape function disagrees with the reference's, or "".
std::string shape_disagreement(const KernelEntry& kernel, const Node& node, const std::vector<Tensor>& inputs,
                               const std::vector<OutputShape>& expected) {
  if (!kernel.desc->infer) return "";
  const KernelEntry own{kernel.desc, kernel.library, kernel.desc};
  const std::vector<OutputShape> shapes = output_shapes(own, node, present(inputs));
  for (size_t i = 0; i < shapes.size() && i < expected.size(); ++i)
    if (shapes[i].dtype != expected[i].dtype || shapes[i].dims != expected[i].dims)
      return "its infer gives output " + std::to_string(i) + " as " + describe_shape(shapes[i]) + ", the reference " +
             describe_shape(expected[i]);
  return "";
}

std::string mismatch_text(const Comparison& c, size_t output, const Tensor& expected, const Tolerance& tol) {
  if (!c.problem.empty()) return "output " + std::to_string(output) + " " + c.problem;
  return "worst abs err " + format_number(std::abs(c.actual - c.expected), "%.2g") + " at output " +
         std::to_string(output) + " index " + index_in(expected.dims(), c.worst_at) + " (got " +
         format_number(c.actual, "%.2g") + ", expected " + format_number(c.expected, "%.2g") + "; tolerance " +
         tol.describe() + ")";
}

// Everything fixed for one kernel while its cases run.
struct KernelUnderCheck {
  const KernelEntry& kernel;
  const KernelEntry& reference;
  const CaseGenerator& generator;
  std::optional<DeviceApi> device;
  int opset_min, opset_max;
  std::vector<uint64_t> inputs, outputs;  // dtypes both accept
};

// The checked kernel's outputs in `mode` against the reference's `expected`.
CaseResult compare_run(const KernelUnderCheck& k, const CaseGraph& graph, const std::vector<OutputShape>& shapes,
                       const std::vector<Tensor>& expected, RunMode mode) {
  const std::string where = mode == RunMode::Plain ? "" : " (" + describe(mode) + ")";
  std::vector<Tensor> actual;
  try {
    actual = k.device ? run_on_device(k.kernel, *k.device, graph.node(), graph.inputs(), shapes, mode)
                      : run_on_host(k.kernel, graph.node(), graph.inputs(), shapes, mode);
  } catch (const std::exception& e) {
    return failed(e.what() + where);
  }
  CaseResult result;
  const bool quantized = has_kernel_flag(k.kernel, KILN_KERNEL_QUANTIZED);
  for (size_t o = 0; o < expected.size(); ++o) {
    if (expected[o].empty()) continue;
    const Tolerance tol = tolerance_for(expected[o].dtype(), quantized, k.generator.tolerance_scale);
    const Comparison c = compare(actual[o], expected[o], tol);
    result.worst_abs = std::max(result.worst_abs, c.worst_abs);
    result.worst_rel = std::max(result.worst_rel, c.worst_rel);
    if (!c.ok) return failed(mismatch_text(c, o, expected[o], tol) + where);
  }
  return result;
}

// One case: drawn, run on the reference (what it cannot run is no case), then on the checked kernel.
CaseResult run_case(const KernelUnderCheck& k, Case& c) {
  CaseGraph graph(c);
  const Node& node = graph.node();
  const kiln_kernel_desc& ref = *k.reference.desc;
  if (std::string why = io_mismatch(ref, node); !why.empty()) return declined("the reference kernel " + why);
  if (CheckVerdict v = check_node(ref, node); v.kind != CheckVerdict::Accepted)
    return declined("the reference kernel declines: " + v.reason);
  std::vector<OutputShape> shapes;
  std::vector<Tensor> expected;
  try {
    shapes = output_shapes(k.reference, node, present(graph.inputs()));
    graph.set_output_shapes(shapes);
    expected = run_on_host(k.reference, node, graph.inputs(), shapes, RunMode::Plain);
  } catch (const std::exception& e) {
    return declined(std::string("the reference kernel cannot run it: ") + e.what());
  }

  const kiln_kernel_desc& desc = *k.kernel.desc;
  if (std::string why = io_mismatch(desc, node); !why.empty()) return declined(why);
  const CheckVerdict verdict = check_node(desc, node);
  if (verdict.kind == CheckVerdict::Declined) return declined(verdict.reason);
  if (verdict.kind == CheckVerdict::Failed) return failed("check failed: " + verdict.reason);
  try {
    if (std::string why = shape_disagreement(k.kernel, node, graph.inputs(), shapes); !why.empty()) return failed(why);
  } catch (const std::exception& e) {
    return failed(e.what());
  }
  CaseResult all;
  for (RunMode mode : {RunMode::Plain, RunMode::StridedOutput, RunMode::InPlace, RunMode::Deserialized}) {
    if (!mode_applies(mode, k.kernel, node, graph.inputs(), shapes, k.device.has_value())) continue;
    const CaseResult r = compare_run(k, graph, shapes, expected, mode);
    if (r.kind == CaseResult::Failed) return r;
    all.worst_abs = std::max(all.worst_abs, r.worst_abs);
    all.worst_rel = std::max(all.worst_rel, r.worst_rel);
  }
  return all;
}

std::string pattern_text(const kiln_kernel_desc& k) {
  std::string s;
  for (int32_t i = 0; i < k.pattern_length; ++i) s += (i ? " -> " : "") + std::string(k.pattern[i].op_type);
  return s;
}

}  // namespace

const KernelEntry* KernelChecker::reference_for(const kiln_kernel_desc& k) const {
  for (const KernelEntry& r : reference_.kernels()) {
    const kiln_kernel_desc& d = *r.desc;
    if (d.pattern_length == 0 && d.device == KILN_DEVICE_CPU && !has_kernel_flag(r, KILN_KERNEL_QUANTIZED) &&
        std::string(d.domain) == k.domain && std::string(d.op_type) == k.op_type && d.opset_min <= k.opset_max &&
        k.opset_min <= d.opset_max)
      return &r;
  }
  return nullptr;
}

KernelReport KernelChecker::check(const KernelEntry& kernel) const {
  const kiln_kernel_desc& k = *kernel.desc;
  KernelReport report;
  report.kernel = k.name;
  auto skip = [&](std::string why) {
    report.detail = std::move(why);
    return report;
  };
  if (k.pattern_length > 0) return skip("fused-pattern kernel (" + pattern_text(k) + "): the check draws no fused cases yet");
  if (has_kernel_flag(kernel, KILN_KERNEL_QUANTIZED))
    return skip("INT8 kernel: it needs quantized values, which the check does not draw yet");
  const KernelEntry* reference = reference_for(k);
  if (!reference)
    return skip(*k.domain ? "no reference kernel for domain " + std::string(k.domain)
                          : "no reference kernel for " + op_label(k.domain, k.op_type) + " at opsets " +
                                std::to_string(k.opset_min) + "-" + std::to_string(k.opset_max));
  const CaseGenerator* generator = find_generator(k.domain, k.op_type);
  if (!generator) return skip("op " + op_label(k.domain, k.op_type) + " has no case generator");
  KernelUnderCheck under{kernel, *reference, *generator, std::nullopt, 0, 0, {}, {}};
  if (k.device != KILN_DEVICE_CPU) {
    const kiln_device_api* api = kernel.library ? kernel.library->device_api() : nullptr;
    if (!api || api->device != k.device) return skip("device kernel, but its pack offers no API for that device");
    if (api->device_count() == 0) return skip("no GPU (the pack's device_count() is 0)");
    under.device.emplace(api);
  }
  const kiln_kernel_desc& ref = *reference->desc;
  under.opset_min = std::max({k.opset_min, ref.opset_min, generator->opset_min});
  under.opset_max = std::min({k.opset_max, ref.opset_max, generator->opset_max});
  if (under.opset_min > under.opset_max)
    return skip("no opset that the kernel, the reference kernel and the case generator (" +
                std::to_string(generator->opset_min) + "-" + std::to_string(generator->opset_max) + ") share");
  under.inputs = shared_dtypes(k, ref, false);
  under.outputs = shared_dtypes(k, ref, true);

  std::string first_decline;
  for (int i = 0; i < options_.cases; ++i) {
    Draw draw(case_seed(options_.seed, k.name, i));
    CaseContext ctx(draw, static_cast<int>(draw.integer(under.opset_min, under.opset_max)), under.inputs,
                    under.outputs, i % 6 == 1);
    Case c;
    CaseResult result;
    try {
      c = generator->make(ctx, k.op_type);
      c.domain = k.domain;
      result = run_case(under, c);
    } catch (const NoCase& e) {
      result = declined(e.what());
    } catch (const std::exception& e) {
      result = declined(std::string("no case could be drawn: ") + e.what());
    }
    const std::string label = "case " + std::to_string(i) + " (opset " + std::to_string(ctx.opset()) + "): ";
    if (options_.verbose)
      options_.verbose("  " + label + c.describe() + ": " +
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
      report.detail = label + c.describe() + ": " + result.text;
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
