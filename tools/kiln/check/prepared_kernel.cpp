#include "prepared_kernel.hpp"

#include <vector>

#include "plugin/host_api.hpp"

namespace kiln::check {

PreparedKernel::PreparedKernel(const KernelEntry& kernel, const Node& node, bool round_trip_state)
    : desc_(*kernel.desc) {
  if (desc_.create(desc_.user_data, host_api(), to_handle(&node), &state_) != KILN_OK)
    throw KernelFailure("create failed: " + take_plugin_error());
  if (!round_trip_state) return;
  try {
    round_trip(node);
  } catch (...) {  // a constructor that throws runs no destructor: free the state here
    if (state_) desc_.destroy(state_);
    throw;
  }
}

PreparedKernel::~PreparedKernel() {
  if (state_) desc_.destroy(state_);
}

void PreparedKernel::round_trip(const Node& node) {
  size_t size = 0;
  if (desc_.serialize(state_, nullptr, 0, &size) != KILN_OK)
    throw KernelFailure("serialize (size query) failed: " + take_plugin_error());
  std::vector<uint8_t> bytes(size + 1);
  size_t written = 0;
  if (desc_.serialize(state_, bytes.data(), size, &written) != KILN_OK)
    throw KernelFailure("serialize failed: " + take_plugin_error());
  if (written != size)
    throw KernelFailure("serialize wrote " + std::to_string(written) + " bytes, but its size query said " +
                        std::to_string(size));
  desc_.destroy(state_);
  state_ = nullptr;
  if (desc_.deserialize(desc_.user_data, host_api(), to_handle(&node), bytes.data(), size, &state_) != KILN_OK)
    throw KernelFailure("deserialize of its own " + std::to_string(size) + " bytes failed: " + take_plugin_error());
}

}  // namespace kiln::check
