// Running one kernel on one case, as the engine would: prepared state, outputs poisoned before execute, and
// the variants a kernel's flags promise (a strided output view, output 0 in place on input 0) or its hooks
// offer (state that went through serialize/deserialize). The device variant copies through the pack's
// kiln_device_api.
#ifndef KILN_CHECK_KERNEL_RUN_HPP
#define KILN_CHECK_KERNEL_RUN_HPP

#include <string>
#include <vector>

#include "runtime/device_api.hpp"
#include "runtime/layer_execution.hpp"

namespace kiln::check {

enum class RunMode {
  Plain,          // create, execute into dense poisoned outputs
  StridedOutput,  // output 0 a view into a larger buffer (KILN_KERNEL_STRIDED_OUTPUT)
  InPlace,        // output 0 shares input 0's memory (KILN_KERNEL_INPLACE_0)
  Deserialized,   // state from create -> serialize -> destroy -> deserialize
};

// "" for Plain, else "strided output", "in place on input 0", "after serialize/deserialize".
std::string describe(RunMode mode);

// Whether `mode` applies to this kernel and case (its flags, its hooks, the shapes: in place needs output 0
// to have input 0's dtype and shape).
bool mode_applies(RunMode mode, const KernelEntry& kernel, const Node& node, const std::vector<Tensor>& inputs,
                  const std::vector<OutputShape>& shapes, bool on_device);

// Runs the kernel on host tensors (one per input position, empty when omitted) into outputs shaped `shapes`;
// returns them dense. Throws KernelFailure or kiln::Error with what went wrong.
std::vector<Tensor> run_on_host(const KernelEntry& kernel, const Node& node, const std::vector<Tensor>& inputs,
                                const std::vector<OutputShape>& shapes, RunMode mode);

// The same for a device kernel: non-constant inputs are uploaded (those its spec reads in host memory stay),
// outputs are device memory filled with poison, the kernel runs on a stream of its own, outputs come back.
std::vector<Tensor> run_on_device(const KernelEntry& kernel, const DeviceApi& device, const Node& node,
                                  const std::vector<Tensor>& inputs, const std::vector<OutputShape>& shapes,
                                  RunMode mode);

}  // namespace kiln::check

#endif  // KILN_CHECK_KERNEL_RUN_HPP
