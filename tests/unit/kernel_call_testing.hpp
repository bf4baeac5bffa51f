// Calling one kernel through its descriptor, as the core would, for tests of a pack's kernels on hand-built
// nodes: check (accept, or decline with a reason), and infer -> create -> execute into a poisoned output.
#ifndef KILN_TESTS_KERNEL_CALL_TESTING_HPP
#define KILN_TESTS_KERNEL_CALL_TESTING_HPP

#include <gtest/gtest.h>

#include <map>
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

// The kernel's output 0 for `feeds` (by value name; constants come from the node): infer, create, execute into
// a poisoned tensor — NaN bytes for floats, 90 for integers — so a kernel that leaves part of Y unwritten fails.
inline Tensor run_kernel(const kiln_kernel_desc& k, const Node& node, const std::map<std::string, Tensor>& feeds) {
  std::vector<Tensor> inputs;
  kiln_infer_ctx ictx;
  for (const Value* v : node.inputs) {
    inputs.push_back(!v ? Tensor() : v->constant ? *v->constant : feeds.at(v->name));
    ictx.inputs.push_back(describe_value(v));
  }
  ictx.outputs.resize(1);
  EXPECT_EQ(k.infer(k.user_data, host_api(), to_handle(&node), &ictx), KILN_OK) << take_plugin_error();
  EXPECT_TRUE(ictx.outputs[0].set && ictx.outputs[0].has_rank);
  Tensor y(ictx.outputs[0].dtype, ictx.outputs[0].dims);
  poison(y);

  void* state = nullptr;
  EXPECT_EQ(k.create(k.user_data, host_api(), to_handle(&node), &state), KILN_OK) << take_plugin_error();
  if (!state) return y;
  std::vector<kiln_tensor> in_views;
  for (const Tensor& t : inputs) {
    kiln_tensor view = t.view();
    if (t.empty()) view.dtype = KILN_DTYPE_UNDEFINED, view.data = nullptr;
    in_views.push_back(view);
  }
  const kiln_tensor out_view = y.view();
  kiln_exec_ctx ctx{sizeof(kiln_exec_ctx), static_cast<int32_t>(in_views.size()), in_views.data(), 1, &out_view,
                    nullptr, 0, nullptr};
  EXPECT_EQ(k.execute(state, &ctx), KILN_OK) << take_plugin_error();
  k.destroy(state);
  return y;
}

}  // namespace kiln::testing

#endif  // KILN_TESTS_KERNEL_CALL_TESTING_HPP
