// INT8 cases (case_run.hpp): a QUANTIZED kernel against the reference's INT8 kernel for its op (a fused one
// against the reference's fused INT8 kernel, not step by step: requantizing in between would change the
// result), or against its float kernel between grids where it has no INT8 one; and a QUANT_PASSTHROUGH kernel on
// integers that share one grid.
#include "case_run.hpp"
#include "quantize_case.hpp"

namespace kiln::check {

namespace {

constexpr uint64_t kInt8Outputs = kQuant8 | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32);

// Runs the reference on the graph `make_graph` builds, then the checked kernel. Output 0 (declared by `last`,
// the node's last step) is first float32, the reals; an int8/uint8 output then gets a grid fitted to them
// (an arbitrary one would saturate everything or round everything to 0) and the node runs again.
template <class MakeGraph>
CaseResult run_on_output_grid(const KernelUnderCheck& k, CaseContext& ctx, Case& last, MakeGraph make_graph) {
  const DataType out = ctx.dtype({}, kInt8Outputs, true);
  last.output_dtype = KILN_DTYPE_FLOAT32;
  CaseGraph reals_graph = make_graph();
  const ReferenceRun reals = run_reference(*k.reference, reals_graph);
  if (!reals.declined.empty()) return declined(reals.declined);
  if (out == KILN_DTYPE_FLOAT32) return run_checked(k, reals_graph, reals.shapes, reals.outputs);
  last.output_dtype = out;
  last.output_quant = output_grid(reals.outputs.at(0), out, ctx.draw());
  CaseGraph graph = make_graph();
  const ReferenceRun run = run_reference(*k.reference, graph);
  if (!run.declined.empty()) return declined(run.declined);
  return run_checked(k, graph, run.shapes, run.outputs);
}

// The non-constant float operands of a fused chain's later steps (a residual), quantized half of the time
// where both kernels take int8/uint8 at that fused input. Constants (weights, a bias) stay float.
void quantize_later_operands(CaseContext& ctx, FusedCase& chain) {
  size_t position = chain.steps.front().inputs.size();  // the fused node's inputs: every step's but the chained
  for (size_t s = 1; s < chain.steps.size(); ++s)
    for (size_t i = 0; i < chain.steps[s].inputs.size(); ++i) {
      const CaseInput& in = chain.steps[s].inputs[i];
      if (in.chained) continue;
      const size_t at = position++;
      if (in.constant || in.data.empty() || in.data.dtype() != KILN_DTYPE_FLOAT32 || !ctx.draw().chance(0.5)) continue;
      try {
        quantize_input(chain.steps[s], i, ctx.dtype({at}, kQuant8, false), ctx.draw());
      } catch (const NoCase&) {  // a float operand, then
      }
    }
}

// Only int8/uint8 where a position takes them: a pass-through case's integers.
std::vector<uint64_t> integers_where_taken(std::vector<uint64_t> masks) {
  for (uint64_t& m : masks)
    if (m & kQuant8) m &= kQuant8;
  return masks;
}

}  // namespace

CaseResult run_int8_case(const KernelUnderCheck& k, CaseContext& ctx, Case& c) {
  return run_on_output_grid(k, ctx, c, [&] { return CaseGraph(c); });
}

CaseResult run_int8_fused_case(const KernelUnderCheck& k, CaseContext& ctx, FusedCase& chain) {
  std::vector<std::vector<OutputShape>> step_shapes;
  std::vector<Tensor> reals;
  if (std::string why = draw_fused_steps(k, ctx, true, chain, step_shapes, reals); !why.empty()) return declined(why);
  quantize_later_operands(ctx, chain);
  const kiln_kernel_desc& desc = *k.kernel.desc;
  return run_on_output_grid(k, ctx, chain.steps.back(), [&] { return CaseGraph(chain, desc, step_shapes); });
}

// The float op's case with X on an int8/uint8 grid the kernel takes; the reference runs the float op on X's reals
// (DequantizeLinear's), and its output 0 is put on a grid fitted to it (QuantizeLinear's integers): what the
// kernel must give within one step (its arithmetic may round a tie the other way).
CaseResult run_float_chain_case(const KernelUnderCheck& k, CaseContext& ctx, Case& c) {
  const DataType dtype = ctx.dtype({0}, kQuant8, true);
  CaseContext reals(ctx.draw(), ctx.opset(), {KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32)}, {KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32)},
                    ctx.empty_edge());
  c = k.generator->make(reals, k.kernel.desc->op_type);
  c.domain = k.kernel.desc->domain;
  quantize_input(c, 0, dtype, ctx.draw());
  Case dequantized = c;
  dequantized.inputs[0].data = dequantize_values(c.inputs[0].data, *c.inputs[0].quant);
  dequantized.inputs[0].quant.reset();
  CaseGraph reals_graph(dequantized);
  ReferenceRun run = run_reference(*k.reference, reals_graph);
  if (!run.declined.empty()) return declined(run.declined);
  c.output_dtype = run.shapes.at(0).dtype = dtype;
  c.output_quant = output_grid(run.outputs.at(0), dtype, ctx.draw());
  run.outputs[0] = quantize_values(run.outputs[0], *c.output_quant);
  CaseGraph graph(c);
  graph.set_output_shapes(run.shapes);
  return run_checked(k, graph, run.shapes, run.outputs);
}

// The op's case drawn with int8/uint8 data, then its integer inputs and output put on one grid: the
// reference moves (or compares) integers, so its bytes are the expected ones, exactly.
CaseResult run_shared_grid_case(const KernelUnderCheck& k, CaseContext& ctx, Case& c) {
  CaseContext integers(ctx.draw(), ctx.opset(), integers_where_taken(k.inputs), integers_where_taken(k.outputs),
                       ctx.empty_edge());
  c = k.generator->make(integers, k.kernel.desc->op_type);
  c.domain = k.kernel.desc->domain;
  if (!share_one_grid(c, ctx.draw())) return declined("no int8/uint8 input was drawn for a shared grid");
  return run_case(k, c);
}

}  // namespace kiln::check
