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
  const PluginRegistry& references;
  const KernelEntry* reference;      // for the kernel's op (for a fused kernel: its first step's op)
  const CaseGenerator* generator;    // likewise
  std::optional<DeviceApi> device;
  int opset_min, opset_max;
  std::vector<uint64_t> inputs, outputs;  // dtypes both accept
};

// The reference pack's plain CPU kernel for an op at some opset in [min, max], or nullptr.
const KernelEntry* reference_kernel(const PluginRegistry& references, const std::string& domain,
                                    const std::string& op_type, int opset_min, int opset_max) {
  for (const KernelEntry& r : references.kernels()) {
    const kiln_kernel_desc& d = *r.desc;
    if (d.pattern_length == 0 && d.device == KILN_DEVICE_CPU && !has_kernel_flag(r, KILN_KERNEL_QUANTIZED) &&
        d.domain == domain && d.op_type == op_type && d.opset_min <= opset_max && opset_min <= d.opset_max)
      return &r;
  }
  return nullptr;
}

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
    const Tolerance tol = tolerance_for(expected[o].dtype(), quantized, k.generator->tolerance_scale);
    const Comparison c = compare(actual[o], expected[o], tol);
    result.worst_abs = std::max(result.worst_abs, c.worst_abs);
    result.worst_rel = std::max(result.worst_rel, c.worst_rel);
    if (!c.ok) return failed(mismatch_text(c, o, expected[o], tol) + where);
  }
  return result;
}

// What the reference computed for a case, or why it could not: what it cannot run is no case.
struct ReferenceRun {
  std::string declined;  // "" when it ran
  std::vector<OutputShape> shapes;
  std::vector<Tensor> outputs;
};

ReferenceRun run_reference(const KernelEntry& reference, CaseGraph& graph) {
  const Node& node = graph.node();
  const kiln_kernel_desc& ref = *reference.desc;
  ReferenceRun run;
  if (std::string why = io_mismatch(ref, node); !why.empty()) return {"the reference kernel " + why, {}, {}};
  if (CheckVerdict v = check_node(ref, node); v.kind != CheckVerdict::Accepted)
    return {"the reference kernel declines: " + v.reason, {}, {}};
  try {
    run.shapes = output_shapes(reference, node, present(graph.inputs()));
    graph.set_output_shapes(run.shapes);
    run.outputs = run_on_host(reference, node, graph.inputs(), run.shapes, RunMode::Plain);
  } catch (const std::exception& e) {
    run.declined = std::string("the reference kernel cannot run it: ") + e.what();
  }
  return run;
}

// The checked kernel on a case the reference ran: matched and checked as the selector would, then run in every
// variant that applies and compared.
CaseResult run_checked(const KernelUnderCheck& k, const CaseGraph& graph, const std::vector<OutputShape>& shapes,
                       const std::vector<Tensor>& expected) {
  const Node& node = graph.node();
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

CaseResult run_case(const KernelUnderCheck& k, const Case& c) {
  CaseGraph graph(c);
  const ReferenceRun reference = run_reference(*k.reference, graph);
  if (!reference.declined.empty()) return declined(reference.declined);
  return run_checked(k, graph, reference.shapes, reference.outputs);
}

// The ops of a fused chain: each present step's op (one alternative drawn where a step lists several), "" for
// an absent one. Optional steps are present half the time; a chain of one step gets its first absent step back.
std::vector<std::string> draw_chain(const kiln_kernel_desc& k, Draw& d, int opset) {
  std::vector<std::string> ops(static_cast<size_t>(k.pattern_length));
  std::vector<bool> present(ops.size());
  for (size_t s = 0; s < ops.size(); ++s) {
    std::vector<std::string> alternatives;
    std::string all = k.pattern[s].op_type;
    for (size_t bar; (bar = all.find('|')) != std::string::npos; all = all.substr(bar + 1)) alternatives.push_back(all.substr(0, bar));
    alternatives.push_back(all);
    // Ops newer than the case's opset (Gelu before 20) would only be declined.
    std::vector<std::string> usable;
    for (const std::string& op : alternatives)
      if (const CaseGenerator* g = find_generator(k.pattern[s].domain, op); !g || g->opset_min <= opset) usable.push_back(op);
    ops[s] = d.pick(usable.empty() ? alternatives : usable);
    present[s] = !(k.pattern[s].flags & KILN_PATTERN_OPTIONAL) || d.chance(0.5);
  }
  if (std::count(present.begin(), present.end(), true) < 2)
    for (size_t s = 0; s < ops.size(); ++s)
      if (!present[s]) {
        present[s] = true;
        break;
      }
  std::vector<std::string> chain;
  for (size_t s = 0; s < ops.size(); ++s) chain.push_back(present[s] ? ops[s] : "");
  return chain;
}

// A fused case: the first step drawn by its op's generator, each later one around what the reference computed
// for the step before; the reference's last output is the expected one.
CaseResult run_fused_case(const KernelUnderCheck& k, CaseContext& ctx, FusedCase& chain) {
  const kiln_kernel_desc& desc = *k.kernel.desc;
  const std::vector<std::string> ops = draw_chain(desc, ctx.draw(), ctx.opset());
  std::vector<std::vector<OutputShape>> step_shapes;
  std::vector<Tensor> last;
  for (size_t s = 0; s < ops.size(); ++s) {
    if (ops[s].empty()) continue;
    const KernelEntry* reference = reference_kernel(k.references, desc.pattern[s].domain, ops[s], ctx.opset(), ctx.opset());
    if (!reference) return declined("no reference kernel for pattern step " + ops[s] + " at opset " + std::to_string(ctx.opset()));
    if (chain.steps.empty()) {
      const CaseGenerator* generator = find_generator(desc.pattern[s].domain, ops[s]);
      if (!generator) return declined("op " + ops[s] + " has no case generator");
      chain.steps.push_back(generator->make(ctx, ops[s]));
    } else {
      const uint64_t same = KILN_DTYPE_BIT(last[0].dtype());
      CaseContext step(ctx.draw(), ctx.opset(), {same}, {same}, false);
      chain.steps.push_back(follow_step(step, ops[s], last[0], desc.pattern[s].chained_input));
    }
    chain.steps.back().domain = desc.pattern[s].domain;
    CaseGraph graph(chain.steps.back());
    const ReferenceRun run = run_reference(*reference, graph);
    if (!run.declined.empty()) return declined(ops[s] + " step: " + run.declined);
    step_shapes.push_back(run.shapes);
    last = run.outputs;
    for (CaseInput& in : chain.steps.back().inputs)  // the chained input's data is the previous step's output
      if (in.chained) in.data = Tensor();
  }
  const CaseGraph fused(chain, desc, step_shapes);
  return run_checked(k, fused, step_shapes.back(), last);
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

KernelReport KernelChecker::check(const KernelEntry& kernel) const {
  const kiln_kernel_desc& k = *kernel.desc;
  KernelReport report;
  report.kernel = k.name;
  auto skip = [&](std::string why) {
    report.detail = std::move(why);
    return report;
  };
  if (has_kernel_flag(kernel, KILN_KERNEL_QUANTIZED))
    return skip("INT8 kernel: it needs quantized values, which the check does not draw yet");
  KernelUnderCheck under{kernel, reference_, nullptr, nullptr, std::nullopt, 0, 0, {}, {}};
  if (std::string why = find_oracle(k, under.reference, under.generator); !why.empty()) return skip(why);
  if (k.device != KILN_DEVICE_CPU) {
    const kiln_device_api* api = kernel.library ? kernel.library->device_api() : nullptr;
    if (!api || api->device != k.device) return skip("device kernel, but its pack offers no API for that device");
    if (api->device_count() == 0) return skip("no GPU (the pack's device_count() is 0)");
    under.device.emplace(api);
  }
  const kiln_kernel_desc& ref = *under.reference->desc;
  under.opset_min = std::max({k.opset_min, ref.opset_min, under.generator->opset_min});
  under.opset_max = std::min({k.opset_max, ref.opset_max, under.generator->opset_max});
  if (under.opset_min > under.opset_max)
    return skip("no opset that the kernel, the reference kernel and the case generator (" +
                std::to_string(under.generator->opset_min) + "-" + std::to_string(under.generator->opset_max) +
                ") share");
  under.inputs = shared_dtypes(k, ref, false);
  under.outputs = shared_dtypes(k, ref, true);

  std::string first_decline;
  for (int i = 0; i < options_.cases; ++i) {
    Draw draw(case_seed(options_.seed, k.name, i));
    CaseContext ctx(draw, static_cast<int>(draw.integer(under.opset_min, under.opset_max)), under.inputs,
                    under.outputs, i % 6 == 1);
    Case c;
    FusedCase chain;
    CaseResult result;
    try {
      if (k.pattern_length > 0) {
        result = run_fused_case(under, ctx, chain);
      } else {
        c = under.generator->make(ctx, k.op_type);
        c.domain = k.domain;
        result = run_case(under, c);
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
