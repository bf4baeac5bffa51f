#include "runtime/engine.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <set>
#include <unordered_map>

#include "builder/builder.hpp"
#include "builder/concat_elimination.hpp"
#include "builder/layout_assignment.hpp"
#include "plugin/kernel_flags.hpp"
#include "runtime/device_api.hpp"
#include "runtime/device_copy.hpp"
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
  // Device plans: a copy of a graph input to the device / of a result to a graph output run outside the
  // captured graph; every other layer is its body.
  enum class Role : uint8_t { Body, CopyIn, CopyOut } role = Role::Body;
  bool on_device = false;  // the kernel runs on the device (copies: the engine copies through the device API)
};

// The memory one run uses. Kept between runs so that a run allocates no arena and starts no thread.
struct Engine::RunContext {
  std::shared_ptr<uint8_t> arena;
  std::vector<std::vector<uint8_t>> workspaces;  // one per stream
  WorkerPool pool;
  std::unique_ptr<DeviceContext> device;  // device plans only
};

// A boundary copy, as a replay repeats it: which value, and where its device bytes are.
struct BoundaryCopy {
  size_t value;            // CopyIn: the graph input; CopyOut: the graph output
  void* device = nullptr;  // CopyIn: its destination; CopyOut: its source
  OutputShape shape;       // CopyOut: the output's dtype and dims
};

// What a replay needs: the captured body and the copies around it.
struct CapturedRun {
  DeviceApi::Graph graph;
  std::vector<BoundaryCopy> copies_in, copies_out;
};

struct Engine::DeviceContext {
  explicit DeviceContext(const kiln_device_api* raw, size_t arena_bytes, int streams) : api(raw) {
    arena = api.malloc(arena_bytes, "the device arena");
    for (int i = 0; i < std::max(1, streams); ++i) {
      this->streams.push_back(api.stream_create());
      joins.push_back(api.event_create());
    }
    fork = api.event_create();
    workspaces.resize(this->streams.size());
    workspace_bytes.assign(this->streams.size(), 0);
  }
  void* stream(int i) const { return streams[static_cast<size_t>(i)].get(); }

  DeviceApi api;
  DeviceApi::Memory arena;
  std::vector<DeviceApi::Stream> streams;  // one per schedule stream
  DeviceApi::Event fork;                   // the other streams start after stream 0's copies in
  std::vector<DeviceApi::Event> joins;     // stream 0's copies out wait for every stream
  std::vector<DeviceApi::Event> done;      // per layer that another stream waits for
  std::vector<DeviceApi::Memory> workspaces;
  std::vector<size_t> workspace_bytes;
  std::set<std::vector<std::vector<int64_t>>> warmed;  // input shapes run once eagerly (workspaces sized)
  std::map<std::vector<std::vector<int64_t>>, CapturedRun> captured;  // by input shapes
};

struct Engine::Bindings {
  std::map<size_t, void*> inputs;   // graph input value -> caller's device buffer
  std::map<size_t, void*> outputs;  // graph output value -> caller's device buffer
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
  // A layer's tensors for one execution: inputs read, outputs placed (in an arena, or allocated).
  struct Call {
    std::vector<const Tensor*> inputs;
    std::vector<Tensor> outputs;
  };

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
    Call call = prepare(index, nullptr);
    const Layer& layer = engine_.plan_.layers[static_cast<size_t>(index)];
    const int stream = engine_.plan_.schedule.stream_of[static_cast<size_t>(index)];
    if (!engine_.layer_values_[static_cast<size_t>(index)].elided)
      execute_layer(*layer.selection.chosen, layer.state, *layer.node, call.inputs, call.outputs,
                    context_.workspaces[static_cast<size_t>(stream)]);
    finish(index, call);
  }

  // Output shapes from the inputs, outputs placed. `stream`: where a device output's poison fill is enqueued.
  Call prepare(int index, void* stream) {
    const Layer& layer = engine_.plan_.layers[static_cast<size_t>(index)];
    const LayerValues& io = engine_.layer_values_[static_cast<size_t>(index)];
    Call call;
    for (int v : io.inputs) call.inputs.push_back(v < 0 ? nullptr : &input_tensor(*layer.node, v));
    const std::vector<OutputShape> shapes = output_shapes(*layer.selection.chosen, *layer.node, call.inputs);
    call.outputs.resize(shapes.size());
    for (size_t i = 0; i < shapes.size(); ++i)
      if (io.outputs[i] >= 0)
        call.outputs[i] =
            place_output(*layer.node, io.outputs[i], shapes[i], !io.elided && !(i == 0 && io.in_place), stream);
    return call;
  }

  // Keeps the outputs and lets go of inputs nothing reads any more.
  void finish(int index, Call& call) {
    const LayerValues& io = engine_.layer_values_[static_cast<size_t>(index)];
    for (size_t i = 0; i < call.outputs.size(); ++i)
      if (io.outputs[i] >= 0) tensors_[static_cast<size_t>(io.outputs[i])] = std::move(call.outputs[i]);
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
  Tensor place_output(const Node& node, int value, const OutputShape& shape, bool poison, void* stream) {
    const ValueSlot& slot = engine_.plan_.slots[static_cast<size_t>(value)];
    const Value& v = *engine_.plan_.graph->values()[static_cast<size_t>(value)];
    if (slot.home != ValueHome::View && slot.home != ValueHome::Arena) {
      if (v.device != KILN_DEVICE_CPU) return device_heap_tensor(v, shape, poison, stream);
      Tensor t(shape.dtype, shape.dims);
      if (poison && engine_.options_.poison_outputs) t.fill_bytes(0xFF);
      return t;
    }
    const bool on_device = slot.device != KILN_DEVICE_CPU;
    const std::shared_ptr<uint8_t>& owner = on_device ? no_owner_ : context_.arena;
    uint8_t* base = on_device ? static_cast<uint8_t*>(context_.device->arena.get()) : context_.arena.get();
    uint8_t* data = base + slot.offset;
    std::vector<int64_t> strides = slot.strides;
    if (strides.empty() && v.layout == KILN_LAYOUT_NHWC && shape.dims.size() == 4) strides = nhwc_strides(shape.dims);
    Tensor t = Tensor(shape.dtype, shape.dims, owner, data, strides).placed(v.layout, slot.device);
    if (t.bytes() > slot.bytes)
      throw Error(node.label() + ": output '" + v.name + "' is " + t.describe() + " (" + std::to_string(t.bytes()) +
                  " bytes), more than the " + std::to_string(slot.bytes) +
                  " bytes the plan reserved for it at the profile's largest shapes");
    if (poison && engine_.options_.poison_outputs) {
      if (!on_device) t.fill_bytes(0xFF);  // a view: only its own elements
      else if (t.dense() || slot.home == ValueHome::Arena) context_.device->api.fill(data, 0xFF, t.bytes(), stream);
    }
    return t;
  }

  // A device value whose size the builder could not bound (a data-dependent shape): allocated for this run,
  // freed with its last reader (freeing waits for the device, so nothing still queued can lose it).
  Tensor device_heap_tensor(const Value& v, const OutputShape& shape, bool poison, void* stream) {
    const DeviceApi& api = context_.device->api;
    size_t bytes = dtype_size(shape.dtype);
    for (int64_t d : shape.dims) bytes *= static_cast<size_t>(d);
    void* data = api.malloc(bytes, "value '" + v.name + "'").release();
    const kiln_device_api* raw = api.raw();
    std::shared_ptr<uint8_t> owner(static_cast<uint8_t*>(data), [raw](uint8_t* p) { raw->free(p); });
    if (poison && engine_.options_.poison_outputs) api.fill(data, 0xFF, bytes, stream);
    std::vector<int64_t> strides;
    if (v.layout == KILN_LAYOUT_NHWC && shape.dims.size() == 4) strides = nhwc_strides(shape.dims);
    return Tensor(shape.dtype, shape.dims, owner, data, strides).placed(v.layout, v.device);
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
  std::shared_ptr<uint8_t> no_owner_;  // device memory is the device context's, not a tensor's
  std::vector<Tensor> tensors_;  // by value index; each written by one layer, read after it (schedule order)
  std::unique_ptr<std::atomic<int>[]> uses_left_;
};

// One call on a device plan. Stream 0 copies the graph inputs in, the layers run on their streams (stream 0
// first records `fork`, which the others wait for; each other stream ends by recording its join event, which
// stream 0 waits for), and stream 0 copies the results out. A host layer between device layers waits for every
// stream first. Where the plan allows it, the body between the copies is captured once per input shape and
// replayed after.
class Engine::DeviceRun {
 public:
  DeviceRun(const Engine& engine, RunContext& context, Run& run, const Bindings* bound)
      : engine_(engine), context_(context), device_(*context.device), run_(run), bound_(bound) {}

  // With EngineOptions::profile_layers: each layer's milliseconds in this run (by layer index).
  const std::vector<double>& layer_ms() const { return layer_ms_; }

  // Runs everything through the layers' kernels; with `capture`, the body is recorded into `captured`.
  void run_through(bool capture, CapturedRun* captured) {
    const auto& layers = engine_.layer_values_;
    void* s0 = device_.stream(0);
    for (size_t i = 0; i < layers.size(); ++i)
      if (layers[i].role == LayerValues::Role::CopyIn) copy_boundary(static_cast<int>(i), captured);
    if (capture) device_.api.capture_begin(s0);
    try {
      fork();
      for (size_t i = 0; i < layers.size(); ++i)
        if (layers[i].role == LayerValues::Role::Body) body_layer(static_cast<int>(i));
      join();
    } catch (...) {
      if (capture) abandon_capture(s0);
      throw;
    }
    if (capture) {
      captured->graph = device_.api.capture_end(s0);
      device_.api.launch(captured->graph.get(), s0);
    }
    for (size_t i = 0; i < layers.size(); ++i)
      if (layers[i].role == LayerValues::Role::CopyOut) copy_boundary(static_cast<int>(i), captured);
    device_.api.synchronize(s0);
  }

 private:
  void fork() {
    if (device_.streams.size() < 2) return;
    device_.api.record(device_.fork.get(), device_.stream(0));
    for (size_t i = 1; i < device_.streams.size(); ++i) device_.api.wait(device_.stream(static_cast<int>(i)), device_.fork.get());
  }

  void join() {
    for (size_t i = 1; i < device_.streams.size(); ++i) {
      device_.api.record(device_.joins[i].get(), device_.stream(static_cast<int>(i)));
      device_.api.wait(device_.stream(0), device_.joins[i].get());
    }
  }

  // Ends a capture a failure interrupted, dropping its graph, so that the context's streams capture no more.
  void abandon_capture(void* stream) {
    try {
      device_.api.capture_end(stream);
    } catch (const std::exception&) {
      // the capture is over either way; the failure that interrupted it is the one to report
    }
  }

  void synchronize_all() {
    for (size_t i = 0; i < device_.streams.size(); ++i) device_.api.synchronize(device_.stream(static_cast<int>(i)));
  }

  void body_layer(int index) {
    const Layer& layer = engine_.plan_.layers[static_cast<size_t>(index)];
    const LayerValues& io = engine_.layer_values_[static_cast<size_t>(index)];
    const int stream_index = engine_.plan_.schedule.stream_of[static_cast<size_t>(index)];
    void* stream = device_.stream(stream_index);
    for (const StreamWait& w : engine_.plan_.schedule.waits)
      if (w.layer == index && engine_.layer_values_[static_cast<size_t>(w.waits_for)].role == LayerValues::Role::Body)
        device_.api.wait(stream, done_event(w.waits_for));
    if (engine_.options_.profile_layers) synchronize_all();
    const auto start = std::chrono::steady_clock::now();
    Run::Call call = run_.prepare(index, stream);
    if (io.elided) {
      // nothing to run: the inputs' producers wrote the output
    } else if (is_copy_node(*layer.node)) {
      copy(call, copy_direction(*layer.node), stream);
      if (copy_direction(*layer.node) == KILN_COPY_DEVICE_TO_HOST) device_.api.synchronize(stream);
    } else if (io.on_device) {
      execute_device_layer(*layer.selection.chosen, layer.state, *layer.node, call.inputs, call.outputs, stream,
                           [&](size_t bytes) { return workspace(stream_index, bytes); });
    } else {
      synchronize_all();  // a host layer reads what the device wrote
      execute_layer(*layer.selection.chosen, layer.state, *layer.node, call.inputs, call.outputs,
                    context_.workspaces[static_cast<size_t>(stream_index)]);
    }
    if (waited_for(index)) device_.api.record(done_event(index), stream);
    run_.finish(index, call);
    if (engine_.options_.profile_layers) {
      device_.api.synchronize(stream);
      layer_ms_.resize(engine_.plan_.layers.size());
      layer_ms_[static_cast<size_t>(index)] =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
  }

  // A copy in or out, on stream 0, from or to the caller's device buffer when bound; recorded for replays.
  void copy_boundary(int index, CapturedRun* captured) {
    const LayerValues& io = engine_.layer_values_[static_cast<size_t>(index)];
    void* s0 = device_.stream(0);
    Run::Call call = run_.prepare(index, s0);
    const size_t in = static_cast<size_t>(io.inputs[0]), out = static_cast<size_t>(io.outputs[0]);
    if (io.role == LayerValues::Role::CopyIn) {
      auto bound = bound_ ? bound_->inputs.find(in) : decltype(bound_->inputs.end()){};
      if (bound_ && bound != bound_->inputs.end())
        device_.api.copy(call.outputs[0].data(), bound->second, call.outputs[0].bytes(), KILN_COPY_DEVICE_TO_DEVICE, s0);
      else
        copy(call, KILN_COPY_HOST_TO_DEVICE, s0);
      if (captured) captured->copies_in.push_back({in, call.outputs[0].data(), {}});
    } else {
      auto bound = bound_ ? bound_->outputs.find(out) : decltype(bound_->outputs.end()){};
      if (bound_ && bound != bound_->outputs.end())
        device_.api.copy(bound->second, call.inputs[0]->data(), call.inputs[0]->bytes(), KILN_COPY_DEVICE_TO_DEVICE, s0);
      else
        copy(call, KILN_COPY_DEVICE_TO_HOST, s0);
      if (captured)
        captured->copies_out.push_back({out, const_cast<void*>(call.inputs[0]->data()),
                                        {call.inputs[0]->dtype(), call.inputs[0]->dims()}});
    }
    run_.finish(index, call);
  }

  void copy(const Run::Call& call, kiln_copy_direction direction, void* stream) {
    const Tensor& from = *call.inputs[0];
    const Tensor& to = call.outputs[0];
    if (!from.dense() && from.layout() == KILN_LAYOUT_LINEAR)
      throw Error("a copy between host and device needs a dense value, got a strided view of " + from.describe());
    device_.api.copy(const_cast<void*>(to.data()), from.data(), to.bytes(), direction, stream);
  }

  bool waited_for(int index) const {
    for (const StreamWait& w : engine_.plan_.schedule.waits)
      if (w.waits_for == index) return true;
    return false;
  }

  void* done_event(int index) {
    if (device_.done.empty()) device_.done.resize(engine_.plan_.layers.size());
    DeviceApi::Event& e = device_.done[static_cast<size_t>(index)];
    if (!e) e = device_.api.event_create();
    return e.get();
  }

  // The stream's device workspace, grown (after the stream's earlier work is done with it) when too small.
  // Graphs captured before point at the old workspace: they are dropped, and captured again when next needed.
  void* workspace(int stream_index, size_t bytes) {
    const size_t s = static_cast<size_t>(stream_index);
    if (device_.workspace_bytes[s] < bytes) {
      device_.api.synchronize(device_.stream(stream_index));
      device_.captured.clear();
      device_.workspaces[s].reset();
      device_.workspaces[s] = device_.api.malloc(bytes, "a kernel workspace");
      device_.workspace_bytes[s] = bytes;
    }
    return device_.workspaces[s].get();
  }

  const Engine& engine_;
  RunContext& context_;
  DeviceContext& device_;
  Run& run_;
  const Bindings* bound_;
  std::vector<double> layer_ms_;  // with profile_layers: each layer's milliseconds in this run
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
  if (plan_.device_api) classify_device_layers();
}

// Which layers are boundary copies, which run on the device, and whether the body can be captured: it can when
// every body layer runs on the device (a host layer or a copy in the middle needs the host to wait). The copies
// in run before the body and the copies out after it, so only those the plan already orders so (the builder
// does) count as boundary copies: the memory plan assumed the plan's order.
void Engine::classify_device_layers() {
  const size_t n = plan_.layers.size();
  for (size_t i = 0; i < n; ++i) {
    const Node& node = *plan_.layers[i].node;
    LayerValues& io = layer_values_[i];
    io.on_device = plan_.layers[i].selection.chosen->desc->device != KILN_DEVICE_CPU;
    if (is_boundary_copy_in(node) && (i == 0 || layer_values_[i - 1].role == LayerValues::Role::CopyIn))
      io.role = LayerValues::Role::CopyIn;
  }
  for (size_t i = n; i-- > 0;)
    if (is_boundary_copy_out(*plan_.layers[i].node) && (i + 1 == n || layer_values_[i + 1].role == LayerValues::Role::CopyOut))
      layer_values_[i].role = LayerValues::Role::CopyOut;
  capturable_ = true;
  for (size_t i = 0; i < n; ++i)
    if (layer_values_[i].role == LayerValues::Role::Body && (is_copy_node(*plan_.layers[i].node) || !layer_values_[i].on_device))
      capturable_ = false;
  for (size_t v = 0; v < plan_.slots.size(); ++v) {
    const Value& value = *plan_.graph->values()[v];
    if (value.device != KILN_DEVICE_CPU && plan_.slots[v].home == ValueHome::Heap && value.producer)
      capturable_ = false;  // allocated per run: a captured graph would keep one run's pointer
  }
  // A device kernel that reads a graph input on the host (KILN_IO_HOST_MEMORY) reads it in execute: a replay
  // would repeat what it read when the graph was captured.
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < plan_.layers[i].node->inputs.size(); ++k) {
      const Value* in = plan_.layers[i].node->inputs[k];
      if (layer_values_[i].on_device && in && in->is_graph_input &&
          io_has_flag(*plan_.layers[i].selection.chosen, false, k, KILN_IO_HOST_MEMORY))
        capturable_ = false;
    }
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
  if (plan_.device_api)
    context->device = std::make_unique<DeviceContext>(plan_.device_api, plan_.device_arena_bytes, plan_.schedule.num_streams);
  return context;
}

void Engine::release_context(std::unique_ptr<RunContext> context) const {
  std::lock_guard<std::mutex> lock(contexts_mutex_);
  idle_contexts_.push_back(std::move(context));
}

std::map<std::string, Tensor> Engine::run(const std::map<std::string, Tensor>& inputs) const {
  check_inputs(inputs);
  if (plan_.device_api) return run_on_device(inputs, nullptr);
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

namespace {

// The input shapes of one call: what a captured graph is specialised for.
using ShapeKey = std::vector<std::vector<int64_t>>;

}  // namespace

// A device plan's call: the first with given input shapes runs eagerly (kernels size their workspaces, handles
// are made), the second captures the body, later ones replay it. `bound`: device I/O instead of host tensors.
std::map<std::string, Tensor> Engine::run_on_device(const std::map<std::string, Tensor>& inputs,
                                                    const Bindings* bound) const {
  std::unique_ptr<RunContext> context = acquire_context();
  std::map<std::string, Tensor> results;
  try {
    DeviceContext& device = *context->device;
    ShapeKey key;
    for (const Value* v : plan_.graph->inputs()) key.push_back(inputs.at(v->name).dims());
    auto replay = device.captured.find(key);
    if (replay != device.captured.end() && !options_.poison_outputs && !options_.profile_layers) {
      results = replay_captured(replay->second, inputs, bound, device);
    } else {
      Run run(*this, *context);
      for (const Value* v : plan_.graph->inputs()) run.set_input(value_index_.at(v), inputs.at(v->name));
      const bool capture = capturable_ && device.warmed.count(key) && !options_.poison_outputs && !options_.profile_layers;
      CapturedRun captured;
      DeviceRun device_run(*this, *context, run, bound);
      device_run.run_through(capture, capture ? &captured : nullptr);
      if (options_.profile_layers) {
        std::lock_guard<std::mutex> lock(profile_mutex_);
        last_layer_ms_ = device_run.layer_ms();
      }
      device.warmed.insert(key);
      if (capture) device.captured[key] = std::move(captured);
      for (const Value* v : plan_.graph->outputs()) {
        const Tensor& t = run.tensor(value_index_.at(v));
        if (t.empty()) throw Error("graph output '" + v->name + "' was never computed");
        results[v->name] = t;
      }
    }
  } catch (...) {
    release_context(std::move(context));
    throw;
  }
  release_context(std::move(context));
  return results;
}

std::map<std::string, Tensor> Engine::replay_captured(const CapturedRun& captured, const std::map<std::string, Tensor>& inputs,
                                                      const Bindings* bound, DeviceContext& device) const {
  void* s0 = device.stream(0);
  const auto& values = plan_.graph->values();
  for (const BoundaryCopy& c : captured.copies_in) {
    const Tensor& t = inputs.at(values[c.value]->name);
    auto b = bound ? bound->inputs.find(c.value) : decltype(bound->inputs.end()){};
    if (bound && b != bound->inputs.end()) device.api.copy(c.device, b->second, t.bytes(), KILN_COPY_DEVICE_TO_DEVICE, s0);
    else device.api.copy(c.device, t.data(), t.bytes(), KILN_COPY_HOST_TO_DEVICE, s0);
  }
  device.api.launch(captured.graph.get(), s0);
  std::map<std::string, Tensor> results;
  for (const BoundaryCopy& c : captured.copies_out) {
    int64_t numel = 1;
    for (int64_t d : c.shape.dims) numel *= d;
    const size_t bytes = static_cast<size_t>(numel) * dtype_size(c.shape.dtype);
    auto b = bound ? bound->outputs.find(c.value) : decltype(bound->outputs.end()){};
    if (bound && b != bound->outputs.end()) {
      device.api.copy(b->second, c.device, bytes, KILN_COPY_DEVICE_TO_DEVICE, s0);
      continue;
    }
    Tensor out(c.shape.dtype, c.shape.dims);
    device.api.copy(out.data(), c.device, bytes, KILN_COPY_DEVICE_TO_HOST, s0);
    results[values[c.value]->name] = std::move(out);
  }
  device.api.synchronize(s0);
  // Outputs no layer writes, which an eager run returns as they are: constants and graph inputs.
  for (const Value* v : plan_.graph->outputs()) {
    if (results.count(v->name) || v->producer) continue;
    if (v->constant) results[v->name] = *v->constant;
    else if (v->is_graph_input) results[v->name] = inputs.at(v->name);
  }
  return results;
}

// Whether boundary copies in are all that read a value (a graph output counts as read on the host).
bool Engine::read_only_by_copies_in(size_t value) const {
  if (plan_.graph->values()[value]->is_graph_output) return false;
  for (size_t i = 0; i < layer_values_.size(); ++i)
    for (int input : layer_values_[i].inputs)
      if (input == static_cast<int>(value) && layer_values_[i].role != LayerValues::Role::CopyIn) return false;
  return true;
}

bool Engine::written_by_copy_out(size_t value) const {
  for (const LayerValues& io : layer_values_)
    if (!io.outputs.empty() && io.outputs[0] == static_cast<int>(value)) return io.role == LayerValues::Role::CopyOut;
  return false;
}

std::vector<double> Engine::last_layer_ms() const {
  std::lock_guard<std::mutex> lock(profile_mutex_);
  return last_layer_ms_;
}

void Engine::run_device(const std::map<std::string, DeviceBuffer>& inputs,
                        const std::map<std::string, DeviceBuffer>& outputs) const {
  if (!plan_.device_api) throw Error("run_device: this plan runs on the CPU; use run()");
  const DeviceApi api(plan_.device_api);
  Bindings bound;
  // Each input's shape; its bytes are the caller's device buffer, which the copies in read. An input that a host
  // layer reads (or that is an output too) is fetched to the host first: the host cannot read device memory.
  std::map<std::string, Tensor> shapes;
  for (const auto& [name, buffer] : inputs) {
    const Value* v = plan_.graph->find_input(name);
    if (!v) throw Error("input '" + name + "' is not an input of the model (its inputs: " + plan_.graph->input_names() + ")");
    if (!buffer.data) throw Error("input '" + name + "': no device buffer given");
    const size_t index = value_index_.at(v);
    bound.inputs[index] = buffer.data;
    shapes[name] = Tensor(v->dtype, buffer.dims, nullptr, buffer.data);
    if (read_only_by_copies_in(index)) continue;
    Tensor host(v->dtype, buffer.dims);
    api.copy(host.data(), buffer.data, host.bytes(), KILN_COPY_DEVICE_TO_HOST, nullptr);
    api.synchronize(nullptr);
    shapes[name] = std::move(host);
  }
  for (const auto& [name, buffer] : outputs) {
    const Value* found = nullptr;
    for (const Value* v : plan_.graph->outputs())
      if (v->name == name) found = v;
    if (!found) throw Error("output '" + name + "' is not an output of the model");
    if (!buffer.data) throw Error("output '" + name + "': no device buffer given");
    bound.outputs[value_index_.at(found)] = buffer.data;
  }
  check_inputs(shapes);
  const std::map<std::string, Tensor> results = run_on_device(shapes, &bound);
  // An output no copy out writes into the caller's buffer (a host layer's result, a constant) is uploaded.
  for (const auto& [value, buffer] : bound.outputs) {
    if (written_by_copy_out(value)) continue;
    const Tensor& host = results.at(plan_.graph->values()[value]->name);
    api.copy(buffer, host.data(), host.bytes(), KILN_COPY_HOST_TO_DEVICE, nullptr);
  }
  api.synchronize(nullptr);
}

}  // namespace kiln
