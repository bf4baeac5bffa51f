// A checked kernel's prepared state for one node: created, or created, serialized, destroyed and deserialized
// again (the round trip a plan file makes), and destroyed on scope exit.
#ifndef KILN_CHECK_PREPARED_KERNEL_HPP
#define KILN_CHECK_PREPARED_KERNEL_HPP

#include "ir/graph.hpp"
#include "plugin/plugin_registry.hpp"
#include "util/error.hpp"

namespace kiln::check {

// A kernel misbehaved: a hook failed, serialize's sizes disagree, it wrote outside its output. The message says
// which and how.
struct KernelFailure : Error {
  using Error::Error;
};

class PreparedKernel {
 public:
  // Throws KernelFailure naming the hook that failed.
  PreparedKernel(const KernelEntry& kernel, const Node& node, bool round_trip);
  ~PreparedKernel();
  PreparedKernel(const PreparedKernel&) = delete;
  PreparedKernel& operator=(const PreparedKernel&) = delete;
  void* get() const { return state_; }

 private:
  void round_trip(const Node& node);

  const kiln_kernel_desc& desc_;
  void* state_ = nullptr;
};

// Whether the kernel can serialize its prepared state.
inline bool serializes(const kiln_kernel_desc& k) { return k.serialize && k.deserialize; }

}  // namespace kiln::check

#endif  // KILN_CHECK_PREPARED_KERNEL_HPP
