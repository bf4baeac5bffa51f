#include "passes/pass_manager.hpp"

#include "passes/constant_folding.hpp"
#include "passes/dead_code.hpp"
#include "passes/horizontal_fusion.hpp"
#include "passes/identity_removal.hpp"
#include "passes/pattern_fusion.hpp"
#include "passes/verify_graph.hpp"
#include "util/error.hpp"

namespace kiln {

namespace {

// `context` says when the check ran: "before the passes", "after pass 'constant folding'".
void verify_or_throw(const Graph& graph, const std::string& context) {
  try {
    verify_graph(graph);
  } catch (const Error& e) {
    throw Error("the graph is broken " + context + ": " + e.what());
  }
}

}  // namespace

std::vector<std::string> PassManager::run(Graph& graph, const PassContext& context) const {
  verify_or_throw(graph, "before the passes");
  std::vector<std::string> summaries;
  for (const Pass& pass : passes_) {
    summaries.push_back(pass.name + ": " + pass.run(graph, context));
    verify_or_throw(graph, "after pass '" + pass.name + "'");
  }
  return summaries;
}

std::vector<std::string> run_default_passes(Graph& graph, const PassContext& context) {
  const PassSwitches& on = context.config.optimize;
  PassManager manager;
  // Identities go first so folding and fusion see through them; folding before DCE lets DCE drop what fed
  // only folded nodes; fusion runs on the folded graph, then siblings merge (fused ones too), and a last DCE
  // drops what fusion orphaned (the siblings' own constants, once stacked).
  if (on.identity_removal) manager.add(identity_removal_pass());
  if (on.constant_folding) manager.add(constant_folding_pass());
  if (on.dead_code) manager.add(dead_code_pass());
  if (on.fusion) manager.add(pattern_fusion_pass());
  // Under INT8 each sibling convolution stays its own layer: INT8 kernels take one output grid each, and a
  // stacked convolution would keep all of them float (docs/quantization.md).
  if (on.horizontal_fusion && context.config.precision != "int8") manager.add(horizontal_fusion_pass());
  if (on.dead_code) manager.add(dead_code_pass());
  return manager.run(graph, context);
}

}  // namespace kiln
