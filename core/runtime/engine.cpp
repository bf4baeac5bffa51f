#include "runtime/engine.hpp"

#include <atomic>
#include <cstring>
#include <unordered_map>

#include "builder/builder.hpp"
#include "builder/concat_elimination.hpp"
#include "runtime/layer_execution.hpp"
#include "runtime/stream_executor.hpp"
#include "runtime/worker_pool.hpp"
#include "util/error.hpp"

namespace kiln {

struct Engine::LayerValues {
  std::vector<int> inputs;   // value index per input position, -1 when omitted
  std::vector<int> outputs;  // value index per output position, -1 when omitted
  bool elided = false;       // an eliminated concat: its inputs were written in place, there is nothing to run
  bool in_place = false;     // output 0 shares input 0's bytes (poisoning it would destroy the input)
};

// The memory one run uses. Kept between runs so that a run allocates no arena and starts no thread.
struct Engine::RunContext {
  std::shared_ptr<uint8_t> arena;
  std::vector<std::vector<uint8_t>> workspaces;  // one per stream
  WorkerPool pool;
};

namespace {

std::shared_ptr<uint8_t> allocate_arena(size_t bytes) {
  void* p = std::aligned_alloc(64, ((bytes + 63) / 64) * 64 + 64);
  if (!p) throw Error("cannot allocate the engine's arena of " + std::to_string(bytes) + " bytes");
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
}

bool shares_bytes(const ValueSlot& a, const ValueSlot& b) {
  return a.home == ValueHome::Arena && b.home == ValueHome::Arena && a.offset == b.offset;
}

// Whether `dims` lies inside the profile's [min, max] for this input.
bool inside(const ShapeRange& range, const std::vector<int64_t>& dims) {
  if (dims.size() != range.min.size()) return false;
  for (size_t i = 0; i < dims.size(); ++i)
    if (dims[i] < range.min[i] || dims[i] > range.max[i]) return false;
  return true;
}

std::string describe_range(const ShapeRange& range) {
  return "from " + format_dims(range.min) + " to " + format_dims(range.max);
}

}  // namespace

// One call to run(): the tensor of every value, and how many readers each intermediate still has.
class Engine::Run {
 public:
  Run(const Engine& engine, RunContext& context) : engine_(engine), context_(context) {
    const auto& values = engine.plan_.graph->values();
    tensors_.resize(values.size());
    uses_left_.reset(new std::atomic<int>[values.size()]);
    for (size_t i = 0; i < values.size(); ++i) {
      uses_left_[i].store(engine.consumer_count_[i]);
      if (values[i]->constant) tensors_[i] = *values[i]->constant;
    }
  }

  void set_input(size_t value, const Tensor& tensor) { tensors_[value] = tensor; }
  const Tensor& tensor(size_t value) const { return tensors_[value]; }

  void run_layer(int index) {
    const Layer& layer = engine_.plan_.layers[static_cast<size_t>(index)];
    const LayerValues& io = engine_.layer_values_[static_cast<size_t>(index)];
    const KernelEntry& kernel = *layer.selection.chosen;
    std::vector<const Tensor*> inputs;
    for (int v : io.inputs) inputs.push_back(v < 0 ? nullptr : &input_tensor(*layer.node, v));
    const std::vector<OutputShape> shapes = output_shapes(kernel, *layer.node, inputs);
    std::vector<Tensor> outputs(shapes.size());
    for (size_t i = 0; i < shapes.size(); ++i)
      if (io.outputs[i] >= 0)
        outputs[i] = place_output(*layer.node, io.outputs[i], shapes[i], !io.elided && !(i == 0 && io.in_place));
    const int stream = engine_.plan_.schedule.stream_of[static_cast<size_t>(index)];
    if (!io.elided)
      execute_layer(kernel, layer.state, *layer.node, inputs, outputs, context_.workspaces[static_cast<size_t>(stream)]);
    for (size_t i = 0; i < outputs.size(); ++i)
      if (io.outputs[i] >= 0) tensors_[static_cast<size_t>(io.outputs[i])] = std::move(outputs[i]);
    for (int v : io.inputs) release_if_done(v);
  }

 private:
  const Tensor& input_tensor(const Node& node, int value) const {
    const Tensor& t = tensors_[static_cast<size_t>(value)];
    if (t.empty())
      throw Error(node.label() + ": input '" + engine_.plan_.graph->values()[static_cast<size_t>(value)]->name +
                  "' has no value at run time");
    return t;
  }

  // `poison`: false for an eliminated concat's output, which its inputs' producers have already written.
  Tensor place_output(const Node& node, int value, const OutputShape& shape, bool poison) {
    const ValueSlot& slot = engine_.plan_.slots[static_cast<size_t>(value)];
    if (slot.home != ValueHome::View && slot.home != ValueHome::Arena) {
      Tensor t(shape.dtype, shape.dims);
      if (poison && engine_.options_.poison_outputs) t.fill_bytes(0xFF);
      return t;
    }
    uint8_t* data = context_.arena.get() + slot.offset;
    Tensor t = slot.home == ValueHome::View ? Tensor(shape.dtype, shape.dims, context_.arena, data, slot.strides)
                    : Tensor(shape.dtype, shape.dims, context_.arena, data);
    if (t.bytes() > slot.bytes)
      throw Error(node.label() + ": output '" + engine_.plan_.graph->values()[static_cast<size_t>(value)]->name +
                  "' is " + t.describe() + " (" + std::to_string(t.bytes()) + " bytes), more than the " +
                  std::to_string(slot.bytes) + " bytes the plan reserved for it at the profile's largest shapes");
    if (poison && engine_.options_.poison_outputs) t.fill_bytes(0xFF);  // a view: only its own elements
    return t;
  }

  // A heap intermediate is freed after its last reader; arena slices need nothing.
  void release_if_done(int value) {
    if (value < 0) return;
    const size_t v = static_cast<size_t>(value);
    if (uses_left_[v].fetch_sub(1) != 1) return;
    if (engine_.plan_.slots[v].home == ValueHome::Heap && !engine_.plan_.graph->values()[v]->is_graph_output)
      tensors_[v] = Tensor();
  }

  const Engine& engine_;
  RunContext& context_;
  std::vector<Tensor> tensors_;  // by value index; each written by one layer, read after it (schedule order)
  std::unique_ptr<std::atomic<int>[]> uses_left_;
};

Engine::Engine(std::unique_ptr<Graph> graph, const PluginRegistry& registry, const BuildConfig& config,
               EngineOptions options)
    : Engine(build_engine_plan(std::move(graph), registry, config), options) {}

Engine::Engine(EnginePlan plan, EngineOptions options) : plan_(std::move(plan)), options_(options) {
  const auto& values = plan_.graph->values();
  for (size_t i = 0; i < values.size(); ++i) value_index_[values[i].get()] = i;
  auto index_of = [&](const Value* v) { return v ? static_cast<int>(value_index_.at(v)) : -1; };
  consumer_count_.assign(values.size(), 0);
  for (const Layer& layer : plan_.layers) {
    LayerValues io;
    for (const Value* v : layer.node->inputs) {
      io.inputs.push_back(index_of(v));
      if (v) ++consumer_count_[value_index_.at(v)];
    }
    for (const Value* v : layer.node->outputs) io.outputs.push_back(index_of(v));
    layer_values_.push_back(std::move(io));
  }
  if (plan_.slots.size() != values.size()) plan_.slots.resize(values.size());
  for (size_t i = 0; i < plan_.layers.size(); ++i) {
    LayerValues& io = layer_values_[i];
    io.elided = io.outputs.size() == 1 && is_eliminated_concat(plan_, i, io.inputs, io.outputs[0]);
    io.in_place = !io.inputs.empty() && !io.outputs.empty() && io.inputs[0] >= 0 && io.outputs[0] >= 0 &&
                  shares_bytes(plan_.slots[static_cast<size_t>(io.inputs[0])], plan_.slots[static_cast<size_t>(io.outputs[0])]);
  }
  validate_schedule(plan_.schedule, static_cast<int>(plan_.layers.size()));
}

Engine::~Engine() { destroy_states(plan_.layers); }

void destroy_states(std::vector<Layer>& layers) {
  for (Layer& l : layers)
    if (l.state) {
      l.selection.chosen->desc->destroy(l.state);
      l.state = nullptr;
    }
}

void Engine::check_inputs(const std::map<std::string, Tensor>& inputs) const {
  const Graph& graph = *plan_.graph;
  for (const auto& entry : inputs)
    if (!graph.find_input(entry.first))
      throw Error("input '" + entry.first + "' is not an input of the model (its inputs: " + graph.input_names() + ")");
  for (const Value* v : graph.inputs()) {
    auto it = inputs.find(v->name);
    if (it == inputs.end()) throw Error("missing input '" + v->name + "' (" + v->describe() + ")");
    const Tensor& t = it->second;
    bool fits = v->dtype == KILN_DTYPE_UNDEFINED || t.dtype() == v->dtype;
    if (v->has_shape) {
      fits = fits && static_cast<size_t>(t.rank()) == v->dims.size();
      for (size_t i = 0; fits && i < v->dims.size(); ++i) fits = v->dims[i] < 0 || v->dims[i] == t.dims()[i];
    }
    if (!fits) throw Error("input '" + v->name + "': the model expects " + v->describe() + ", got " + t.describe());
    auto range = plan_.profile.find(v->name);
    if (range != plan_.profile.end() && !inside(range->second, t.dims()))
      throw Error("input '" + v->name + "': shape " + format_dims(t.dims()) + " is outside the profile the plan was " +
                  "built for (" + describe_range(range->second) + "); rebuild with a wider 'profile:'");
  }
}

std::unique_ptr<Engine::RunContext> Engine::acquire_context() const {
  {
    std::lock_guard<std::mutex> lock(contexts_mutex_);
    if (!idle_contexts_.empty()) {
      std::unique_ptr<RunContext> context = std::move(idle_contexts_.back());
      idle_contexts_.pop_back();
      return context;
    }
  }
  auto context = std::make_unique<RunContext>();
  context->arena = allocate_arena(plan_.arena_bytes);
  context->workspaces.resize(static_cast<size_t>(std::max(1, plan_.schedule.num_streams)));
  return context;
}

void Engine::release_context(std::unique_ptr<RunContext> context) const {
  std::lock_guard<std::mutex> lock(contexts_mutex_);
  idle_contexts_.push_back(std::move(context));
}

std::map<std::string, Tensor> Engine::run(const std::map<std::string, Tensor>& inputs) const {
  check_inputs(inputs);
  std::unique_ptr<RunContext> context = acquire_context();
  std::map<std::string, Tensor> results;
  {
    Run run(*this, *context);
    for (const Value* v : plan_.graph->inputs()) run.set_input(value_index_.at(v), inputs.at(v->name));
    try {
      run_streams(plan_.schedule, [&](int layer) { run.run_layer(layer); }, context->pool);
    } catch (...) {
      release_context(std::move(context));
      throw;
    }
    for (const Value* v : plan_.graph->outputs()) {
      const Tensor& t = run.tensor(value_index_.at(v));
      if (t.empty()) throw Error("graph output '" + v->name + "' was never computed");
      results[v->name] = t;
    }
  }
  release_context(std::move(context));
  return results;
}

}  // namespace kiln
