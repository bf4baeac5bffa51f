// Calling one kernel through its descriptor, as the core would, for tests of a pack's kernels on hand-built
// nodes: check (accept, or decline with a reason), and infer -> create -> execute into a poisoned output (with
// the workspace the kernel asks for).
#ifndef KILN_TESTS_KERNEL_CALL_TESTING_HPP
#define KILN_TESTS_KERNEL_CALL_TESTING_HPP

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "plugin/host_api.hpp"
#include "runtime/run_node.hpp"
#include "select/kernel_match.hpp"

namespace kiln::testing {

// check() of kernel k on `node`: "" when accepted, else the reason it gives (status UNSUPPORTED).
inline std::string check_kernel(const kiln_kernel_desc& k, const Node& node) {
  const CheckVerdict verdict = check_node(k, node);
  EXPECT_NE(verdict.kind, CheckVerdict::Failed) << verdict.reason;
  return verdict.reason;
}

// The first `count` outputs as the kernel's infer describes them, poisoned — NaN bytes for floats, 90 for
// integers — so a kernel that leaves part of an output unwritten fails.
inline std::vector<Tensor> poisoned_outputs(const kiln_kernel_desc& k, const Node& node, size_t count) {
  kiln_infer_ctx ictx;
  for (const Value* v : node.inputs) ictx.inputs.push_back(describe_value(v));
  ictx.outputs.resize(count);
  EXPECT_EQ(k.infer(k.user_data, host_api(), to_handle(&node), &ictx), KILN_OK) << take_plugin_error();
  std::vector<Tensor> outputs;
  for (const auto& out : ictx.outputs) {
    EXPECT_TRUE(out.set && out.has_rank);
    Tensor y(out.dtype, out.dims);
    poison(y);
    outputs.push_back(y);
  }
  return outputs;
}
inline Tensor poisoned_output(const kiln_kernel_desc& k, const Node& node) { return poisoned_outputs(k, node, 1)[0]; }

// Runs a prepared `state` of kernel k on `feeds` (by value name; constants come from the node) into `outputs`,
// with the workspace the kernel asks for.
inline void execute_kernel(const kiln_kernel_desc& k, void* state, const Node& node,
                           const std::map<std::string, Tensor>& feeds, const std::vector<Tensor>& outputs) {
  std::vector<Tensor> inputs;  // the views below point into these
  for (const Value* v : node.inputs) inputs.push_back(!v ? Tensor() : v->constant ? *v->constant : feeds.at(v->name));
  std::vector<kiln_tensor> in_views;
  for (const Tensor& t : inputs) {
    kiln_tensor view = t.view();
    if (t.empty()) view.dtype = KILN_DTYPE_UNDEFINED, view.data = nullptr;
    in_views.push_back(view);
  }
  std::vector<kiln_tensor> out_views;
  for (const Tensor& y : outputs) out_views.push_back(y.view());
  kiln_exec_ctx ctx{sizeof(kiln_exec_ctx), static_cast<int32_t>(in_views.size()), in_views.data(),
                    static_cast<int32_t>(out_views.size()), out_views.data(), nullptr, 0, nullptr};
  std::vector<uint8_t> workspace;
  if (k.workspace_size) {
    size_t bytes = 0;
    EXPECT_EQ(k.workspace_size(state, &ctx, &bytes), KILN_OK) << take_plugin_error();
    workspace.resize(bytes);
    ctx.workspace = workspace.data();
    ctx.workspace_bytes = bytes;
  }
  EXPECT_EQ(k.execute(state, &ctx), KILN_OK) << take_plugin_error();
}
inline void execute_kernel(const kiln_kernel_desc& k, void* state, const Node& node,
                           const std::map<std::string, Tensor>& feeds, const Tensor& y) {
  execute_kernel(k, state, node, feeds, std::vector<Tensor>{y});
}

// The kernel's first `count` outputs for `feeds`: infer, create, execute into poisoned tensors.
inline std::vector<Tensor> run_kernel_outputs(const kiln_kernel_desc& k, const Node& node,
                                              const std::map<std::string, Tensor>& feeds, size_t count) {
  const std::vector<Tensor> outputs = poisoned_outputs(k, node, count);
  void* state = nullptr;
  EXPECT_EQ(k.create(k.user_data, host_api(), to_handle(&node), &state), KILN_OK) << take_plugin_error();
  if (!state) return outputs;
  execute_kernel(k, state, node, feeds, outputs);
  k.destroy(state);
  return outputs;
}
// The kernel's output 0 for `feeds`.
inline Tensor run_kernel(const kiln_kernel_desc& k, const Node& node, const std::map<std::string, Tensor>& feeds) {
  return run_kernel_outputs(k, node, feeds, 1)[0];
}

// The fused node for the chain of nodes in `graph`, as the fusion pass builds it: op_type = the kernel's, the original
// nodes in `pattern`, inputs = each step's inputs but the chained one, outputs = the last step's.
inline std::unique_ptr<Node> fused_node(const Graph& graph, const std::string& op_type) {
  auto fused = std::make_unique<Node>();
  fused->name = "fused";
  fused->op_type = op_type;
  const Value* chained = nullptr;
  for (Node* n : graph.topological_order()) {
    auto step = std::make_unique<Node>();
    step->name = n->name, step->op_type = n->op_type, step->domain = n->domain, step->opset = n->opset;
    step->inputs = n->inputs, step->outputs = n->outputs, step->attributes = n->attributes;
    if (!chained) fused->opset = n->opset;
    for (Value* in : n->inputs)
      if (!chained || in != chained) fused->inputs.push_back(in);
    chained = n->outputs[0];
    fused->outputs = n->outputs;
    fused->pattern.push_back(std::move(step));
  }
  return fused;
}

}  // namespace kiln::testing

#endif  // KILN_TESTS_KERNEL_CALL_TESTING_HPP
