#include "case_run.hpp"

#include <algorithm>
#include <cmath>

#include "compare.hpp"
#include "format.hpp"
#include "kernel_run.hpp"
#include "plugin/kernel_flags.hpp"
#include "quantize_case.hpp"
#include "select/kernel_match.hpp"

namespace kiln::check {

namespace {

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
  const bool int8 = k.mode == CaseMode::Int8;
  const bool requantizes = int8 || k.mode == CaseMode::FloatChain || k.generator->requantizes;
  for (size_t o = 0; o < expected.size(); ++o) {
    if (expected[o].empty()) continue;
    Tolerance tol = tolerance_for(expected[o].dtype(), requantizes, k.generator->tolerance_scale);
    // An INT8 kernel's float reals are acc * scale + bias in float32 on a device: their error follows the
    // terms' size, which the output's largest value stands for, not each element's (small after cancelling).
    if (int8 && tol.relative > 0) tol.floor = std::max(1.0, max_magnitude(expected[o]));
    const Comparison c = compare(actual[o], expected[o], tol);
    result.worst_abs = std::max(result.worst_abs, c.worst_abs);
    result.worst_rel = std::max(result.worst_rel, c.worst_rel);
    if (!c.ok) return failed(mismatch_text(c, o, expected[o], tol) + where);
  }
  return result;
}

}  // namespace

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

const KernelEntry* reference_int8_kernel(const PluginRegistry& references, const std::string& domain,
                                         const std::string& op_type, bool fused, int opset_min, int opset_max) {
  for (const KernelEntry& r : references.kernels()) {
    const kiln_kernel_desc& d = *r.desc;
    if ((d.pattern_length > 0) == fused && d.device == KILN_DEVICE_CPU && has_kernel_flag(r, KILN_KERNEL_QUANTIZED) &&
        d.domain == domain && d.op_type == op_type && d.opset_min <= opset_max && opset_min <= d.opset_max)
      return &r;
  }
  return nullptr;
}

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

namespace {

// The checked kernel on a case the reference ran, its values stored as `graph` now says: matched and checked as
// the selector would, then run in every variant that applies and compared.
CaseResult run_stored(const KernelUnderCheck& k, const CaseGraph& graph, const std::vector<OutputShape>& shapes,
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

}  // namespace

// Linear, as the reference ran it, then channels-last wherever the kernel accepts NHWC: a kernel is checked in
// every storage the builder may hand it. A storage it does not take (io spec or `check`) is declined; the case
// is declined only when every storage was.
CaseResult run_checked(const KernelUnderCheck& k, CaseGraph& graph, const std::vector<OutputShape>& shapes,
                       const std::vector<Tensor>& expected) {
  CaseResult all = declined("");
  for (kiln_layout layout : {KILN_LAYOUT_LINEAR, KILN_LAYOUT_NHWC}) {
    if (!graph.store(layout, *k.kernel.desc)) continue;
    CaseResult r = run_stored(k, graph, shapes, expected);
    if (layout == KILN_LAYOUT_NHWC && r.kind != CaseResult::Compared) r.text += " (stored NHWC)";
    if (r.kind == CaseResult::Failed) return r;
    if (r.kind == CaseResult::Declined) {
      if (all.kind == CaseResult::Declined) all.text = r.text;  // the last storage tried says most
      continue;
    }
    all.kind = CaseResult::Compared;
    all.worst_abs = std::max(all.worst_abs, r.worst_abs);
    all.worst_rel = std::max(all.worst_rel, r.worst_rel);
  }
  graph.store(KILN_LAYOUT_LINEAR, *k.kernel.desc);
  return all;
}

CaseResult run_case(const KernelUnderCheck& k, const Case& c) {
  CaseGraph graph(c);
  const ReferenceRun reference = run_reference(*k.reference, graph);
  if (!reference.declined.empty()) return declined(reference.declined);
  return run_checked(k, graph, reference.shapes, reference.outputs);
}

}  // namespace kiln::check
