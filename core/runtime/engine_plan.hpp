// What the builder decides and the engine executes: the optimized graph, a prepared kernel per layer in
// execution order, where every value's bytes live, and which stream runs each layer.
#ifndef KILN_CORE_ENGINE_PLAN_HPP
#define KILN_CORE_ENGINE_PLAN_HPP

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/build_config.hpp"
#include "ir/graph.hpp"
#include "schedule/schedule.hpp"
#include "select/kernel_selector.hpp"

namespace kiln {

// Where a value's bytes live while the engine runs.
enum class ValueHome : uint8_t {
  Heap,      // allocated when produced: graph outputs (handed to the caller), and values whose size the
             // builder could not bound (data-dependent shapes)
  Arena,     // a planned slice of the engine's arena, reused by values whose lifetimes do not overlap
  Constant,  // Value::constant
  Caller,    // a graph input: the caller's tensor
  View,      // a slice of another arena value (an input of an eliminated Concat, written in place)
};

struct ValueSlot {
  ValueHome home = ValueHome::Heap;
  size_t offset = 0;  // in the arena (for a View: the arena offset of its first element)
  size_t bytes = 0;   // reserved in the arena: the value's size at the profile's largest shapes
  int view_of = -1;   // View: the value (index in graph values) it is a slice of
  std::vector<int64_t> strides;  // View: element strides, one per dim
  kiln_device device = KILN_DEVICE_CPU;  // Arena and View: whose arena (the host's or the device's)
};

struct Layer {
  Node* node = nullptr;
  Selection selection;  // the chosen kernel, and why the others were declined
  void* state = nullptr;
  std::vector<std::string> notes;  // what the kernel said it decided while it was created (timings, algorithms)
};

struct EnginePlan {
  std::unique_ptr<Graph> graph;
  std::vector<Layer> layers;     // in execution order (topological), states prepared
  std::vector<ValueSlot> slots;  // by position in graph->values()
  size_t arena_bytes = 0;         // the host arena
  size_t device_arena_bytes = 0;  // the device arena (0 when no layer runs on a device)
  size_t naive_bytes = 0;  // the sum of every arena value's size (host and device): what no reuse would cost
  Schedule schedule;       // the stream of each layer and the cross-stream waits
  std::map<std::string, ShapeRange> profile;  // the input shapes the plan was built for (empty: as declared)
  const kiln_device_api* device_api = nullptr;  // the device its device layers run on (nullptr: a CPU plan)
  std::map<std::string, std::string> tuning;    // timing-cache entries the kernels used (a plan load re-times nothing)
};

}  // namespace kiln

#endif  // KILN_CORE_ENGINE_PLAN_HPP
