// An engine runs an EnginePlan: each layer's prepared kernel in schedule order, on one stream or several
// (worker threads on the CPU), with intermediates in one reused arena. Each node's output shapes come from its
// kernel's shape function applied to the actual inputs, so data-dependent shapes (Shape -> ... -> Reshape) and
// every batch size inside the plan's profile work.
#ifndef KILN_CORE_ENGINE_HPP
#define KILN_CORE_ENGINE_HPP

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "plugin/plugin_registry.hpp"
#include "runtime/engine_plan.hpp"

namespace kiln {

struct EngineOptions {
  // Fill every output buffer with NaN bytes (0xFF) before its kernel runs, so a kernel that leaves part of
  // an output unwritten is caught by the tests rather than passing on leftover data.
  bool poison_outputs = false;
  // Device plans: time every layer (each waited for: no graph capture, so slower overall) and keep the last
  // run's times, for `kiln run --profile-layers`.
  bool profile_layers = false;
};

class Engine {
 public:
  // Builds the model with the config's passes (see core/builder/builder.hpp) and runs the result.
  // Throws kiln::Unsupported when no kernel can run a node, kiln::Error for anything else.
  Engine(std::unique_ptr<Graph> graph, const PluginRegistry& registry, const BuildConfig& config,
         EngineOptions options = {});
  // Runs a plan the builder made or a plan file gave; takes ownership of its kernel states.
  explicit Engine(EnginePlan plan, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs once. Inputs by graph input name; checks names, dtypes and shapes against the model and its profile.
  // Safe to call from several threads at once: each call takes its own arena (and, on a device, its own
  // streams). Host tensors in and out; a plan with device layers copies them to and from the device. From the
  // second call with the same input shapes on, a device plan whose layers all run on the device replays a
  // graph captured once (CUDA graphs), so a call costs a copy in, one launch and a copy out.
  std::map<std::string, Tensor> run(const std::map<std::string, Tensor>& inputs) const;

  // Device I/O: inputs and outputs in device memory the caller owns (allocate it through device_api()).
  // Output buffers must hold output_dims(input dims) elements of the output's dtype. Returns when the outputs
  // are written. Only for plans with device layers. An input a host layer reads is fetched to the host first,
  // and an output a host layer writes is uploaded after: the caller's buffers are only used as they are where
  // the plan copies them to or from the device.
  struct DeviceBuffer {
    void* data = nullptr;
    std::vector<int64_t> dims;  // inputs: their shape; outputs: ignored
  };
  void run_device(const std::map<std::string, DeviceBuffer>& inputs, const std::map<std::string, DeviceBuffer>& outputs) const;
  // The device the plan runs on, or nullptr for a CPU plan.
  const kiln_device_api* device_api() const { return plan_.device_api; }
  // Whether run() replays captured graphs (every layer but the boundary copies runs on the device).
  bool graph_capturable() const { return capturable_; }
  // With EngineOptions::profile_layers: the milliseconds each layer took in the last run (by layer index).
  std::vector<double> last_layer_ms() const;

  const Graph& graph() const { return *plan_.graph; }
  const std::vector<Layer>& layers() const { return plan_.layers; }
  const EnginePlan& plan() const { return plan_; }

 private:
  struct RunContext;   // one run's arena, workspaces and threads; reused by later runs
  struct DeviceContext;  // a run context's device arena, streams, events, workspaces and captured graphs
  struct LayerValues;  // a layer's input and output value indices
  class Run;           // the state of one call to run()
  class DeviceRun;     // one call on a device plan
  struct Bindings;     // device I/O: the caller's device buffers by value index

  void check_inputs(const std::map<std::string, Tensor>& inputs) const;
  void check_input_shape(const Value& v, DataType dtype, const std::vector<int64_t>& dims) const;
  std::map<std::string, Tensor> run_on_device(const std::map<std::string, Tensor>& inputs, const Bindings* bound) const;
  std::map<std::string, Tensor> replay_captured(const struct CapturedRun& captured,
                                                const std::map<std::string, Tensor>& inputs, const Bindings* bound,
                                                DeviceContext& device) const;
  void classify_device_layers();
  // Device I/O: whether the caller's device buffer serves a value as it is, in and out.
  bool read_only_by_copies_in(size_t value) const;
  bool written_by_copy_out(size_t value) const;
  std::unique_ptr<RunContext> acquire_context() const;
  void release_context(std::unique_ptr<RunContext> context) const;

  EnginePlan plan_;
  EngineOptions options_;
  std::vector<LayerValues> layer_values_;
  std::vector<int> consumer_count_;  // by value index: how many layer inputs read it
  std::unordered_map<const Value*, size_t> value_index_;  // position in graph().values()
  bool capturable_ = false;  // device plan with no host layer between its boundary copies
  mutable std::mutex contexts_mutex_;
  mutable std::mutex profile_mutex_;
  mutable std::vector<double> last_layer_ms_;
  mutable std::vector<std::unique_ptr<RunContext>> idle_contexts_;
};

// Releases every prepared state of `layers` (the builder's error paths; Engine does it for its own).
void destroy_states(std::vector<Layer>& layers);

}  // namespace kiln

#endif  // KILN_CORE_ENGINE_HPP
