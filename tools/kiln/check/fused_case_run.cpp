// run_fused_case (case_run.hpp): a fused-pattern kernel against its steps run one after another.
#include <algorithm>

#include "case_run.hpp"

namespace kiln::check {

namespace {

// The ops of a fused chain: each present step's op (one alternative drawn where a step lists several), "" for
// an absent one. Optional steps are present half the time; a chain of one step gets its first absent step back.
std::vector<std::string> draw_chain(const kiln_kernel_desc& k, Draw& d, int opset) {
  std::vector<std::string> ops(static_cast<size_t>(k.pattern_length));
  std::vector<bool> present(ops.size());
  for (size_t s = 0; s < ops.size(); ++s) {
    std::vector<std::string> alternatives;
    std::string all = k.pattern[s].op_type;
    for (size_t bar; (bar = all.find('|')) != std::string::npos; all = all.substr(bar + 1))
      alternatives.push_back(all.substr(0, bar));
    alternatives.push_back(all);
    // Ops newer than the case's opset (Gelu before 20) would only be declined.
    std::vector<std::string> usable;
    for (const std::string& op : alternatives)
      if (const CaseGenerator* g = find_generator(k.pattern[s].domain, op); !g || g->opset_min <= opset)
        usable.push_back(op);
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

// The first step of a fused case: from its op's generator (its INT8 form's, run by the reference's plain INT8
// kernel into float32 reals, when `int8`).
Case first_step(CaseContext& ctx, const std::string& domain, const std::string& op, bool int8) {
  const CaseGenerator* generator = int8 ? find_int8_generator(domain, op) : find_generator(domain, op);
  if (!generator) throw NoCase("op " + op + " has no " + (int8 ? "INT8 " : "") + "case generator");
  Case c = generator->make(ctx, op);
  if (int8) c.output_dtype = KILN_DTYPE_FLOAT32;
  return c;
}

}  // namespace

std::string draw_fused_steps(const KernelUnderCheck& k, CaseContext& ctx, bool int8, FusedCase& chain,
                             std::vector<std::vector<OutputShape>>& step_shapes, std::vector<Tensor>& last) {
  const kiln_kernel_desc& desc = *k.kernel.desc;
  const std::vector<std::string> ops = draw_chain(desc, ctx.draw(), ctx.opset());
  for (size_t s = 0; s < ops.size(); ++s) {
    if (ops[s].empty()) continue;
    const std::string& domain = desc.pattern[s].domain;
    const bool int8_step = int8 && chain.steps.empty();
    const KernelEntry* reference = int8_step
                                       ? reference_int8_kernel(k.references, domain, ops[s], false, ctx.opset(), ctx.opset())
                                       : reference_kernel(k.references, domain, ops[s], ctx.opset(), ctx.opset());
    if (!reference)
      return "no reference " + std::string(int8_step ? "INT8 " : "") + "kernel for pattern step " + ops[s] +
             " at opset " + std::to_string(ctx.opset());
    if (chain.steps.empty()) {
      chain.steps.push_back(first_step(ctx, domain, ops[s], int8));
    } else {
      const uint64_t same = KILN_DTYPE_BIT(last[0].dtype());
      CaseContext step(ctx.draw(), ctx.opset(), {same}, {same}, false);
      chain.steps.push_back(follow_step(step, ops[s], last[0], desc.pattern[s].chained_input));
    }
    chain.steps.back().domain = domain;
    CaseGraph graph(chain.steps.back());
    const ReferenceRun run = run_reference(*reference, graph);
    if (!run.declined.empty()) return ops[s] + " step: " + run.declined;
    step_shapes.push_back(run.shapes);
    last = run.outputs;
  }
  return "";
}

// A fused case: the first step drawn by its op's generator, each later one around what the reference computed
// for the step before; the reference's last output is the expected one.
CaseResult run_fused_case(const KernelUnderCheck& k, CaseContext& ctx, FusedCase& chain) {
  std::vector<std::vector<OutputShape>> step_shapes;
  std::vector<Tensor> last;
  if (std::string why = draw_fused_steps(k, ctx, false, chain, step_shapes, last); !why.empty()) return declined(why);
  CaseGraph fused(chain, *k.kernel.desc, step_shapes);
  return run_checked(k, fused, step_shapes.back(), last);
}

}  // namespace kiln::check
