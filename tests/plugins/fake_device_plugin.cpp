// A fake device for the tests: the whole device path of the core (placement, copies, precision, layouts,
// streams, events, graph capture and replay, device I/O) runs on the CPU, with the checks a GPU would make by
// crashing, and a few more a GPU would not make at all.
//
// The device (kiln_device_api, standing in for KILN_DEVICE_CUDA):
//   - memory is host memory from aligned_alloc (256-byte aligned), filled with 0xFF (NaN) when allocated and
//     recorded in a registry, so that kernels and copies can check that a pointer is "device" memory: a kernel
//     handed a host pointer (a missing copy) or a copy in the wrong direction fails with a message. The
//     pointers handed out carry a tag bit that no host mapping has, so that host code reading device memory
//     (a host kernel given a device pointer) crashes at once, as on a GPU, instead of passing unnoticed;
//   - a stream holds a FIFO of closures. By default work runs as soon as it is enqueued ("immediate" mode);
//     fake_device_set_deferred(1) makes streams created afterwards keep their work until a synchronize, a
//     synchronous copy or another stream's wait needs it ("deferred" mode: a missing wait, join or
//     synchronize then shows as a wrong or missing result). Copies follow CUDA's rules for pageable host
//     memory: host-to-device reads the source when enqueued, device-to-host completes before it returns;
//     pinned memory (host_malloc) is truly asynchronous;
//   - graph capture follows CUDA's stream capture: work enqueued on the capturing stream is recorded instead
//     of run; another stream joins the capture when it waits on an event recorded inside it, and from then on
//     its work is recorded too, each piece with what it depends on: the work before it on its stream and the
//     work its stream waited for through events. graph_launch runs the pieces in an order those dependencies
//     allow but enqueue order does not give (the latest-enqueued ready piece first), so a wait the engine
//     forgot shows in a replay as it would on a GPU. capture_end fails, as CUDA does, when a stream that
//     joined was not joined back (the origin stream waited, directly or through other streams, on an event
//     recorded after its last captured work). While a thread captures it may not allocate, free or
//     synchronize (CUDA's thread-local capture mode, which the CUDA pack uses); host copies are refused inside
//     a capture (a graph replays the same host pointer every time, which the engine's per-call host tensors
//     are not);
//   - every closure checks, when it runs, that the device memory it touches is still allocated: a replayed
//     graph that uses freed memory fails instead of reading garbage.
//
// Kernels (device KILN_DEVICE_CUDA, names kiln.fake.<Op>), each checking that its non-constant inputs and its
// outputs are device memory on the device, and enqueueing its computation on the stream it is given:
//   Relu    float32/float16, LINEAR|NHWC (prefers NHWC), any strides, in place on input 0
//   Add     float32/float16, the second input the first's shape or broadcast into it (e.g. [1,C,1,1]), maybe a
//           constant (uploaded when created), LINEAR|NHWC (prefers NHWC), any strides
//   Softmax over the last axis, float32/float16, LINEAR, precision sensitive, with a device workspace; stands
//           in for a kernel that times algorithms (timing cache and node notes)
//   Cast    float32 <-> float16, LINEAR|NHWC, any strides
//
// Counters for the tests (extern "C", read through dlsym): fake_device_kernel_runs (execute calls),
// fake_device_work_runs (closures run), fake_device_graph_launches, fake_device_captures,
// fake_device_live_allocations, fake_device_live_host_allocations, fake_device_copies(direction) and
// fake_device_errors (misuse seen by functions that cannot return a status, e.g. freeing an unknown pointer).
// Controls: fake_device_set_deferred(on) and fake_device_fail_kernel_after(successes).
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <chrono>
#include <thread>
#include <vector>

#include "kiln/plugin.hpp"

namespace {

using kiln::ExecContext;
using kiln::InferContext;
using kiln::KernelSpec;
using kiln::Node;

// --- Counters

std::atomic<long> g_kernel_runs{0}, g_work_runs{0}, g_graph_launches{0}, g_captures{0}, g_errors{0};
std::atomic<long> g_copies[4] = {{0}, {0}, {0}, {0}};
std::atomic<bool> g_deferred{false};
std::atomic<long> g_fail_after{-1};  // kernel executions to let pass before one fails on purpose; -1: none

// A failure reported through the host: the status, with its message kept for the calling thread.
kiln_status report(kiln_status status, const std::string& message) {
  const kiln_host_api* host = kiln::host_api();
  const std::string text = "fake device: " + message;
  return host ? host->set_error(status, text.c_str()) : status;
}

// Misuse seen where no status can be returned: counted (the tests expect none) and logged.
void misuse(const std::string& message) {
  ++g_errors;
  if (const kiln_host_api* host = kiln::host_api()) host->log(KILN_LOG_ERROR, ("fake device: " + message).c_str());
}

// Runs fn, turning a thrown kiln::Error (or anything else) into a reported status.
template <class Fn>
kiln_status guarded(Fn&& fn) noexcept {
  try {
    fn();
    return KILN_OK;
  } catch (const kiln::Error& e) {
    return report(e.status(), e.what());
  } catch (const std::exception& e) {
    return report(KILN_ERROR_INTERNAL, e.what());
  }
}

std::string pointer_text(const void* p) {
  char text[32];
  std::snprintf(text, sizeof text, "%p", p);
  return text;
}

// --- Memory: every allocation by start address, device and pinned host apart

class MemoryRegistry {
 public:
  void add(bool device, void* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    (device ? device_ : pinned_)[reinterpret_cast<uintptr_t>(p)] = bytes;
  }
  // False when `p` was not allocated as that kind.
  bool remove(bool device, void* p) {
    std::lock_guard<std::mutex> lock(mutex_);
    return (device ? device_ : pinned_).erase(reinterpret_cast<uintptr_t>(p)) == 1;
  }
  // Whether [p, p + bytes) lies inside one live allocation of that kind.
  bool contains(bool device, const void* p, size_t bytes) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::map<uintptr_t, size_t>& blocks = device ? device_ : pinned_;
    const uintptr_t at = reinterpret_cast<uintptr_t>(p);
    auto it = blocks.upper_bound(at);
    if (it == blocks.begin()) return false;
    --it;
    return at >= it->first && at + bytes <= it->first + std::max<size_t>(it->second, 1);
  }
  // Whether any byte of [p, p + bytes) is device memory.
  bool touches_device(const void* p, size_t bytes) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const uintptr_t at = reinterpret_cast<uintptr_t>(p);
    auto it = device_.upper_bound(at + std::max<size_t>(bytes, 1) - 1);
    if (it == device_.begin()) return false;
    --it;
    return it->first + std::max<size_t>(it->second, 1) > at;
  }
  long count(bool device) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<long>((device ? device_ : pinned_).size());
  }

 private:
  mutable std::mutex mutex_;
  std::map<uintptr_t, size_t> device_, pinned_;
};

MemoryRegistry& memory() {
  static MemoryRegistry registry;
  return registry;
}

bool is_device(const void* p, size_t bytes) { return p && memory().contains(true, p, bytes); }

// Captures this thread has begun and not ended: CUDA's thread-local capture mode forbids it to allocate, free
// or synchronize meanwhile.
thread_local int t_capturing = 0;

// Device pointers carry a tag bit (55) that puts them outside any address the host has mapped: host code that
// dereferences one faults at once, as it would with GPU memory, instead of reading it as if it were host memory.
// The fake's own code, standing in for the GPU, strips the tag with real().
constexpr uintptr_t kDeviceTag = uintptr_t{1} << 55;
void* tagged(void* p) { return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(p) | kDeviceTag); }
void* real(const void* p) { return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(p) & ~kDeviceTag); }

void* allocate(size_t bytes) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + 255) / 256 * 256;
  void* p = std::aligned_alloc(256, rounded);
  if (p) std::memset(p, 0xFF, rounded);  // NaN in float32 and float16: unwritten data shows
  return p;
}

// --- Work, streams, events, graphs

// A range of device memory a closure reads or writes.
struct Span {
  const void* data;
  size_t bytes;
};

// One closure on a stream: what it is (for messages), the device memory it touches, what it does.
struct Work {
  std::string what;
  std::vector<Span> touches;
  std::function<void()> run;
};
using WorkPtr = std::shared_ptr<const Work>;

void run_work(const Work& work) {
  for (const Span& s : work.touches)
    if (s.bytes && !is_device(s.data, s.bytes))
      kiln::fail_invalid(work.what + ": touches " + std::to_string(s.bytes) + " bytes at " + pointer_text(s.data) +
                         ", which is not (or no longer) allocated device memory");
  work.run();
  ++g_work_runs;
}

struct Stream;

// One capture: the work recorded with what each piece depends on (the one before it on its stream, and the
// work its stream waited for through events), the streams that joined, and each stream's recorded work.
struct Capture {
  Stream* origin = nullptr;
  std::vector<WorkPtr> recorded;
  std::vector<std::vector<size_t>> depends_on;  // per recorded work: indices into `recorded`
  std::set<Stream*> members;
  std::map<const Stream*, std::vector<size_t>> recorded_by;  // per stream, in its order
};

// How many captured operations of each stream are known to be complete before a stream's next operation.
using Frontier = std::map<const Stream*, uint64_t>;

// A queued operation: work to run, or a wait for another stream to reach a position.
struct Op {
  WorkPtr work;                  // null for a wait
  Stream* wait_for = nullptr;
  uint64_t wait_position = 0;
};

struct Stream {
  bool deferred = false;
  std::deque<Op> pending;  // deferred mode only
  uint64_t enqueued = 0, completed = 0;
  std::shared_ptr<Capture> capture;  // non-null while it captures (origin or joined)
  uint64_t captured = 0;             // operations it recorded into the current capture
  Frontier frontier;                 // during a capture
  std::vector<size_t> waited_for;    // during a capture: recorded work its next work must follow (event waits)
};

struct Event {
  Stream* stream = nullptr;  // recorded outside a capture: that stream at `position`; null if never recorded
  uint64_t position = 0;
  std::weak_ptr<Capture> capture;  // recorded inside a capture: which one, and the recording stream's frontier
  Frontier frontier;
};

struct Graph {
  std::vector<WorkPtr> works;
  std::vector<std::vector<size_t>> depends_on;
};

// Runs a graph's work in an order its dependencies allow, but not the order it was enqueued in: always the
// latest-enqueued work that is ready. A dependency the capture missed (a wait left out) then shows, as it
// would on a GPU where the two branches run at once.
void run_graph(const std::vector<WorkPtr>& works, const std::vector<std::vector<size_t>>& depends_on) {
  std::vector<size_t> unmet(works.size());
  std::vector<std::vector<size_t>> dependents(works.size());
  std::set<size_t> ready;
  for (size_t i = 0; i < works.size(); ++i) {
    unmet[i] = depends_on[i].size();
    for (size_t d : depends_on[i]) dependents[d].push_back(i);
    if (unmet[i] == 0) ready.insert(i);
  }
  while (!ready.empty()) {
    const size_t next = *ready.rbegin();
    ready.erase(next);
    run_work(*works[next]);
    for (size_t d : dependents[next])
      if (--unmet[d] == 0) ready.insert(d);
  }
}

Stream g_default_stream;  // the NULL stream: immediate, used by tests for their own copies

// Every stream operation holds this lock, so that free can complete other threads' pending work (below) and
// the fake's own bookkeeping stays simple. It serializes the fake device's work across threads, not the core's.
std::recursive_mutex g_streams_mutex;
std::set<Stream*> g_streams;  // every live stream but the default one
using StreamLock = std::lock_guard<std::recursive_mutex>;

Stream* stream_of(void* s) { return s ? static_cast<Stream*>(s) : &g_default_stream; }

// Runs `stream`'s queued operations until `position` of them are complete (waits run the other stream first).
void drain(Stream& stream, uint64_t position) {
  while (stream.completed < position && !stream.pending.empty()) {
    const Op op = stream.pending.front();
    stream.pending.pop_front();
    ++stream.completed;
    if (op.work) run_work(*op.work);
    else drain(*op.wait_for, op.wait_position);
  }
}

void record_into_capture(Stream& stream, WorkPtr work) {
  Capture& capture = *stream.capture;
  std::vector<size_t>& own = capture.recorded_by[&stream];
  std::vector<size_t> depends_on = std::move(stream.waited_for);
  stream.waited_for.clear();
  if (!own.empty()) depends_on.push_back(own.back());
  own.push_back(capture.recorded.size());
  capture.recorded.push_back(std::move(work));
  capture.depends_on.push_back(std::move(depends_on));
  stream.frontier[&stream] = ++stream.captured;
}

// Enqueues work: recorded while the stream captures, else run now (immediate) or queued (deferred).
void enqueue(void* handle, WorkPtr work) {
  const StreamLock lock(g_streams_mutex);
  Stream& stream = *stream_of(handle);
  if (stream.capture) return record_into_capture(stream, std::move(work));
  if (!stream.deferred) return run_work(*work);
  stream.pending.push_back(Op{std::move(work), nullptr, 0});
  ++stream.enqueued;
}

// Ends `stream`'s part in its capture.
void leave_capture(Stream& stream) {
  stream.capture.reset();
  stream.captured = 0;
  stream.frontier.clear();
  stream.waited_for.clear();
}

// --- The device API

int32_t device_count() { return 1; }

kiln_status device_name(char* buffer, size_t capacity) {
  if (capacity) std::snprintf(buffer, capacity, "%s", "kiln fake device");
  return KILN_OK;
}

kiln_status device_malloc(size_t bytes, void** ptr) {
  if (t_capturing) return report(KILN_ERROR_INVALID_ARGUMENT, "malloc while this thread captures a graph");
  void* p = allocate(bytes);
  if (!p) return report(KILN_ERROR_OUT_OF_MEMORY, "cannot allocate " + std::to_string(bytes) + " bytes");
  p = tagged(p);
  memory().add(true, p, std::max<size_t>(bytes, 1));
  *ptr = p;
  return KILN_OK;
}

// Like cudaFree, free first completes all device work: pending work may still use the memory.
void device_free(void* ptr) {
  if (!ptr) return;
  if (t_capturing) misuse("free while this thread captures a graph");
  {
    const StreamLock lock(g_streams_mutex);
    for (Stream* stream : g_streams) try {
        if (!stream->capture) drain(*stream, stream->enqueued);
      } catch (const std::exception& e) {
        misuse(std::string("pending work failed when free completed it: ") + e.what());
      }
  }
  if (!memory().remove(true, ptr)) return misuse("free of " + pointer_text(ptr) + ", which is not device memory");
  std::free(real(ptr));
}

kiln_status host_malloc(size_t bytes, void** ptr) {
  if (t_capturing) return report(KILN_ERROR_INVALID_ARGUMENT, "host_malloc while this thread captures a graph");
  void* p = allocate(bytes);
  if (!p) return report(KILN_ERROR_OUT_OF_MEMORY, "cannot allocate " + std::to_string(bytes) + " host bytes");
  memory().add(false, p, std::max<size_t>(bytes, 1));
  *ptr = p;
  return KILN_OK;
}

void host_free(void* ptr) {
  if (!ptr) return;
  if (t_capturing) misuse("host_free while this thread captures a graph");
  if (!memory().remove(false, ptr)) return misuse("host_free of " + pointer_text(ptr) + ", which host_malloc did not give");
  std::free(ptr);
}

kiln_status stream_create(void** stream) {
  auto* s = new Stream();
  s->deferred = g_deferred.load();
  const StreamLock lock(g_streams_mutex);
  g_streams.insert(s);
  *stream = s;
  return KILN_OK;
}

void stream_destroy(void* handle) {
  if (!handle) return;
  Stream* stream = static_cast<Stream*>(handle);
  const StreamLock lock(g_streams_mutex);
  g_streams.erase(stream);
  if (stream->capture) misuse("a stream destroyed while it captures");
  try {
    drain(*stream, stream->enqueued);  // CUDA lets pending work finish
  } catch (const std::exception& e) {
    misuse(std::string("pending work failed when its stream was destroyed: ") + e.what());
  }
  delete stream;
}

kiln_status stream_synchronize(void* handle) {
  const StreamLock lock(g_streams_mutex);
  return guarded([&] {
    Stream& stream = *stream_of(handle);
    if (stream.capture) kiln::fail_invalid("synchronize on a stream that captures a graph");
    if (t_capturing) kiln::fail_invalid("synchronize while this thread captures a graph");
    drain(stream, stream.enqueued);
  });
}

kiln_status event_create(void** event) {
  *event = new Event();
  return KILN_OK;
}

void event_destroy(void* event) { delete static_cast<Event*>(event); }

kiln_status event_record(void* event_handle, void* stream_handle) {
  const StreamLock lock(g_streams_mutex);
  Event& event = *static_cast<Event*>(event_handle);
  Stream& stream = *stream_of(stream_handle);
  event = Event();
  if (stream.capture) {
    event.capture = stream.capture;
    event.frontier = stream.frontier;
  } else {
    event.stream = &stream;
    event.position = stream.enqueued;
  }
  return KILN_OK;
}

kiln_status stream_wait_event(void* stream_handle, void* event_handle) {
  const StreamLock lock(g_streams_mutex);
  return guarded([&] {
    Stream& stream = *stream_of(stream_handle);
    const Event& event = *static_cast<const Event*>(event_handle);
    if (std::shared_ptr<Capture> capture = event.capture.lock()) {
      if (stream.capture && stream.capture != capture)
        kiln::fail_invalid("a stream waits on an event of another capture");
      if (!stream.capture) {  // joins the capture
        stream.capture = capture;
        capture->members.insert(&stream);
      }
      for (const auto& [other, count] : event.frontier) {
        stream.frontier[other] = std::max(stream.frontier[other], count);
        if (count > 0) stream.waited_for.push_back(capture->recorded_by.at(other).at(count - 1));
      }
      return;
    }
    if (event.stream == nullptr) return;  // never recorded, or recorded in a capture that has ended
    if (stream.capture) kiln::fail_invalid("a capturing stream waits on an event recorded outside the capture");
    if (!stream.deferred || event.stream == &stream) return;  // immediate work is complete; own stream: in order
    stream.pending.push_back(Op{nullptr, event.stream, event.position});
    ++stream.enqueued;
  });
}

const char* direction_name(kiln_copy_direction direction) {
  switch (direction) {
    case KILN_COPY_HOST_TO_DEVICE: return "host-to-device";
    case KILN_COPY_DEVICE_TO_HOST: return "device-to-host";
    case KILN_COPY_DEVICE_TO_DEVICE: return "device-to-device";
    default: return "unknown-direction";
  }
}

// Whether a pointer is on the side a copy direction says: device memory, or host memory (no byte of it device).
void check_side(const char* role, const void* p, size_t bytes, bool device, kiln_copy_direction direction) {
  const bool ok = device ? is_device(p, bytes) : !memory().touches_device(p, bytes);
  if (!ok)
    kiln::fail_invalid(std::string(direction_name(direction)) + " copy of " + std::to_string(bytes) + " bytes: the " +
                       role + " " + pointer_text(p) + (device ? " is not device memory" : " is device memory"));
}

kiln_status copy_async(void* dst, const void* src, size_t bytes, kiln_copy_direction direction, void* handle) {
  const StreamLock lock(g_streams_mutex);
  return guarded([&] {
    if (direction < KILN_COPY_HOST_TO_DEVICE || direction > KILN_COPY_DEVICE_TO_DEVICE)
      kiln::fail_invalid("copy with unknown direction " + std::to_string(direction));
    check_side("source", src, bytes, direction != KILN_COPY_HOST_TO_DEVICE, direction);
    check_side("destination", dst, bytes, direction != KILN_COPY_DEVICE_TO_HOST, direction);
    Stream& stream = *stream_of(handle);
    if (stream.capture && direction != KILN_COPY_DEVICE_TO_DEVICE)
      kiln::fail_invalid(std::string(direction_name(direction)) +
                         " copy inside a graph capture: a replay would reuse this call's host pointer");
    ++g_copies[direction];
    auto work = std::make_shared<Work>();
    work->what = std::string(direction_name(direction)) + " copy";
    const bool pinned_host = memory().contains(false, direction == KILN_COPY_HOST_TO_DEVICE ? src : dst, bytes);
    if (direction == KILN_COPY_HOST_TO_DEVICE && !pinned_host) {
      // Pageable memory: CUDA stages the source before returning, so the caller may reuse it at once.
      auto staged = std::make_shared<std::vector<uint8_t>>(static_cast<const uint8_t*>(src),
                                                           static_cast<const uint8_t*>(src) + bytes);
      work->touches = {{dst, bytes}};
      work->run = [dst, staged] { std::memcpy(real(dst), staged->data(), staged->size()); };
    } else {
      if (direction != KILN_COPY_DEVICE_TO_HOST) work->touches.push_back({dst, bytes});
      if (direction != KILN_COPY_HOST_TO_DEVICE) work->touches.push_back({src, bytes});
      work->run = [dst, src, bytes] { std::memmove(real(dst), real(src), bytes); };
    }
    enqueue(handle, work);
    // Pageable memory: a device-to-host copy has completed when CUDA returns.
    if (direction == KILN_COPY_DEVICE_TO_HOST && !pinned_host && stream.deferred) drain(stream, stream.enqueued);
  });
}

kiln_status fill_async(void* dst, uint8_t byte, size_t bytes, void* handle) {
  const StreamLock lock(g_streams_mutex);
  return guarded([&] {
    check_side("destination", dst, bytes, true, KILN_COPY_DEVICE_TO_DEVICE);
    auto work = std::make_shared<Work>();
    work->what = "fill";
    work->touches = {{dst, bytes}};
    work->run = [dst, byte, bytes] { std::memset(real(dst), byte, bytes); };
    enqueue(handle, work);
  });
}

kiln_status capture_begin(void* handle) {
  const StreamLock lock(g_streams_mutex);
  return guarded([&] {
    if (!handle) kiln::fail_invalid("capture on the NULL stream");
    Stream& stream = *stream_of(handle);
    if (stream.capture) kiln::fail_invalid("capture_begin on a stream that already captures");
    stream.capture = std::make_shared<Capture>();
    stream.capture->origin = &stream;
    stream.capture->members.insert(&stream);
    ++t_capturing;
  });
}

kiln_status capture_end(void* handle, void** graph) {
  const StreamLock lock(g_streams_mutex);
  return guarded([&] {
    Stream& stream = *stream_of(handle);
    if (!stream.capture || stream.capture->origin != &stream)
      kiln::fail_invalid("capture_end on a stream that did not begin a capture");
    const std::shared_ptr<Capture> capture = stream.capture;
    --t_capturing;
    std::string unjoined;
    for (Stream* member : capture->members)
      if (member != &stream && stream.frontier[member] < member->captured)
        unjoined += (unjoined.empty() ? "" : ", ") + pointer_text(member);
    for (Stream* member : capture->members) leave_capture(*member);
    if (!unjoined.empty())
      kiln::fail_invalid("capture_end: stream(s) " + unjoined + " joined the capture but were not joined back into " +
                         "the capturing stream after their last work (CUDA: cudaErrorStreamCaptureUnjoined)");
    *graph = new Graph{capture->recorded, capture->depends_on};
    ++g_captures;
  });
}

kiln_status graph_launch(void* graph_handle, void* stream_handle) {
  const StreamLock lock(g_streams_mutex);
  return guarded([&] {
    if (!graph_handle) kiln::fail_invalid("launch of a NULL graph");
    const Graph& graph = *static_cast<const Graph*>(graph_handle);
    ++g_graph_launches;
    Stream& stream = *stream_of(stream_handle);
    if (stream.capture) {
      for (const WorkPtr& work : graph.works) record_into_capture(stream, work);
      return;
    }
    auto launch = std::make_shared<Work>();
    launch->what = "graph launch";
    const Graph copy = graph;  // the graph may be destroyed before deferred work runs
    launch->run = [copy] { run_graph(copy.works, copy.depends_on); };
    enqueue(stream_handle, launch);
  });
}

void graph_destroy(void* graph) { delete static_cast<Graph*>(graph); }

const kiln_device_api kFakeDevice = {
    sizeof(kiln_device_api), KILN_DEVICE_CUDA, &device_count,  &device_name,     &device_malloc,
    &device_free,            &host_malloc,     &host_free,     &stream_create,   &stream_destroy,
    &stream_synchronize,     &event_create,    &event_destroy, &event_record,    &stream_wait_event,
    &copy_async,             &fill_async,      &capture_begin, &capture_end,     &graph_launch,
    &graph_destroy};

// --- What the kernels share

const uint64_t kFloats = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT16);
const uint32_t kAnyLayout = KILN_LAYOUT_BIT(KILN_LAYOUT_LINEAR) | KILN_LAYOUT_BIT(KILN_LAYOUT_NHWC);

std::vector<int64_t> dense_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) strides[d - 1] = strides[d] * dims[d];
  return strides;
}

// What a closure keeps of a tensor: copied by value, since the kiln_tensor it came from is gone when deferred
// or replayed work runs.
struct TensorRef {
  kiln_dtype dtype = KILN_DTYPE_UNDEFINED;
  void* data = nullptr;
  std::vector<int64_t> dims, strides;  // strides always filled

  int64_t numel() const { return kiln::product(dims); }
  // Bytes from `data` to the end of the last element.
  size_t span_bytes() const {
    if (numel() == 0) return 0;
    int64_t last = 0;
    for (size_t d = 0; d < dims.size(); ++d) last += (dims[d] - 1) * strides[d];
    return static_cast<size_t>(last + 1) * kiln::dtype_size(dtype);
  }
  Span span() const { return {data, span_bytes()}; }
  bool dense_row_major() const { return strides == dense_strides(dims); }
};

TensorRef ref_of(const kiln::Tensor& t) {
  TensorRef r;
  r.dtype = t.dtype();
  r.data = t.raw();
  r.dims = t.shape();
  r.strides = t.strides() ? std::vector<int64_t>(t.strides(), t.strides() + t.rank()) : dense_strides(r.dims);
  return r;
}

// One element of device memory (a tagged pointer) as float, and back.
float load(kiln_dtype dtype, const void* device, int64_t at) {
  const void* p = real(device);
  if (dtype == KILN_DTYPE_FLOAT16) return static_cast<float>(static_cast<const kiln::float16*>(p)[at]);
  return static_cast<const float*>(p)[at];
}

void store(kiln_dtype dtype, void* device, int64_t at, float value) {
  void* p = real(device);
  if (dtype == KILN_DTYPE_FLOAT16) static_cast<kiln::float16*>(p)[at] = kiln::float16(value);
  else static_cast<float*>(p)[at] = value;
}

// Calls fn(offsets) for every element of `dims` in logical row-major order, offsets[k] being the element's
// offset under strides[k].
template <size_t N, class Fn>
void walk(const std::vector<int64_t>& dims, const std::array<const std::vector<int64_t>*, N>& strides, Fn&& fn) {
  const int64_t total = kiln::product(dims);
  std::vector<int64_t> counter(dims.size(), 0);
  std::array<int64_t, N> at{};
  for (int64_t i = 0; i < total; ++i) {
    fn(at);
    for (size_t d = dims.size(); d-- > 0;) {
      for (size_t k = 0; k < N; ++k) at[k] += (*strides[k])[d];
      if (++counter[d] < dims[d]) break;
      for (size_t k = 0; k < N; ++k) at[k] -= (*strides[k])[d] * dims[d];
      counter[d] = 0;
    }
  }
}

bool overlaps(const Span& a, const Span& b) {
  const uintptr_t a0 = reinterpret_cast<uintptr_t>(a.data), b0 = reinterpret_cast<uintptr_t>(b.data);
  return a.bytes && b.bytes && a0 < b0 + b.bytes && b0 < a0 + a.bytes;
}

// Whether this kernel execution is one the test asked to fail.
bool take_wanted_failure() {
  long left = g_fail_after.load();
  while (left >= 0 && !g_fail_after.compare_exchange_weak(left, left - 1)) {
  }
  return left == 0;
}

// The checks every fake kernel makes on what execute hands it, given what it saw at create: which inputs are
// constants (host memory by contract) and the layouts the builder chose.
class DeviceKernel {
 public:
  explicit DeviceKernel(const Node& node, bool in_place_0 = false) : name_(node.name()), in_place_0_(in_place_0) {
    for (int i = 0; i < node.num_inputs(); ++i) {
      const kiln::ValueInfo v = node.input(i);
      constant_.push_back(v.data != nullptr);
      input_layouts_.push_back(v.layout);
    }
    for (int i = 0; i < node.num_outputs(); ++i) output_layouts_.push_back(node.output(i).layout);
  }

  bool constant(int i) const { return constant_.at(static_cast<size_t>(i)); }

  // Every non-constant input and every output: device memory, marked as on the device, in the layout chosen
  // at create (NHWC with its strides); no output overlapping an input unless in place on input 0. Returns the
  // spans the work touches.
  std::vector<Span> checked(const ExecContext& ctx) const {
    ++g_kernel_runs;
    if (take_wanted_failure()) kiln::fail_invalid(name_ + ": fails on purpose (fake_device_fail_kernel_after)");
    if (!ctx.stream()) kiln::fail_invalid(name_ + ": a device kernel was given no stream");
    std::vector<Span> inputs, outputs;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) continue;
      const kiln::Tensor t = ctx.input(i);
      if (constant(i)) {
        if (is_device(t.raw(), 1)) kiln::fail_invalid(name_ + ": constant input " + std::to_string(i) + " is device memory");
        continue;
      }
      inputs.push_back(check_tensor(t, "input " + std::to_string(i), input_layouts_.at(static_cast<size_t>(i))));
    }
    for (int i = 0; i < ctx.num_outputs(); ++i)
      outputs.push_back(check_tensor(ctx.output(i), "output " + std::to_string(i), output_layouts_.at(static_cast<size_t>(i))));
    check_overlaps(ctx, inputs, outputs);
    std::vector<Span> all = inputs;
    all.insert(all.end(), outputs.begin(), outputs.end());
    return all;
  }

  // Enqueues `run` on the context's stream as this node's work.
  void enqueue_work(const ExecContext& ctx, std::vector<Span> touches, std::function<void()> run) const {
    auto work = std::make_shared<Work>();
    work->what = "kernel for node '" + name_ + "'";
    work->touches = std::move(touches);
    work->run = std::move(run);
    enqueue(ctx.stream(), std::move(work));
  }

  const std::string& name() const { return name_; }

 private:
  Span check_tensor(const kiln::Tensor& t, const std::string& what, kiln_layout layout) const {
    const TensorRef r = ref_of(t);
    if (r.span_bytes() && !is_device(r.data, r.span_bytes()))
      kiln::fail_invalid(name_ + ": " + what + " (" + std::to_string(r.span_bytes()) + " bytes at " +
                         pointer_text(r.data) + ") is not device memory: a copy is missing");
    if (t.c().device != KILN_DEVICE_CUDA)
      kiln::fail_invalid(name_ + ": " + what + " is in device memory but marked as device " + std::to_string(t.c().device));
    if (t.layout() != layout)
      kiln::fail_invalid(name_ + ": " + what + " arrives in layout " + std::to_string(t.layout()) +
                         ", create saw layout " + std::to_string(layout));
    if (t.layout() == KILN_LAYOUT_NHWC) {
      if (t.rank() != 4 || !t.strides()) kiln::fail_invalid(name_ + ": " + what + " is NHWC without 4-D strides");
      const int64_t c = t.dim(1), h = t.dim(2), w = t.dim(3);
      const std::vector<int64_t> nhwc = {h * w * c, 1, w * c, c};
      if (r.strides != nhwc) kiln::fail_invalid(name_ + ": " + what + " is NHWC with strides that are not NHWC's");
    }
    return r.span();
  }

  void check_overlaps(const ExecContext& ctx, const std::vector<Span>& inputs, const std::vector<Span>& outputs) const {
    for (size_t o = 0; o < outputs.size(); ++o)
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (!overlaps(outputs[o], inputs[i])) continue;
        const bool in_place = in_place_0_ && o == 0 && i == 0 && ctx.has_input(0) && !constant(0);
        if (!in_place)
          kiln::fail_invalid(name_ + ": output " + std::to_string(o) + " overlaps an input it may not share");
        const TensorRef a = ref_of(ctx.input(0)), b = ref_of(ctx.output(0));
        if (a.data != b.data || a.strides != b.strides || a.dtype != b.dtype)
          kiln::fail_invalid(name_ + ": output 0 shares input 0's memory in another layout or dtype: "
                             "an elementwise kernel would overwrite elements it has yet to read");
      }
  }

  std::string name_;
  bool in_place_0_;
  std::vector<bool> constant_;
  std::vector<kiln_layout> input_layouts_, output_layouts_;
};

void infer_like_input0(const Node&, InferContext& ctx) {
  const kiln::ValueInfo x = ctx.input(0);
  if (x.has_rank) ctx.set_output(0, x.dtype, x.dims);
  else ctx.set_output_unknown_rank(0, x.dtype);
}

// Device memory holding a constant, uploaded when a kernel is created and freed with it.
class DeviceCopy {
 public:
  DeviceCopy() = default;
  DeviceCopy(const void* host, size_t bytes) : bytes_(bytes) {
    void* p = nullptr;
    if (device_malloc(bytes, &p) != KILN_OK)
      kiln::fail(KILN_ERROR_OUT_OF_MEMORY, "cannot upload a constant: device malloc failed (out of memory, or "
                                           "while this thread captures a graph)");
    std::memcpy(real(p), host, bytes);
    data_ = p;
  }
  ~DeviceCopy() { device_free(data_); }
  DeviceCopy(const DeviceCopy&) = delete;
  DeviceCopy& operator=(const DeviceCopy&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

// --- Kernels

struct Relu {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.fake.Relu";
    s.op_type = "Relu";
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_INPLACE_0 | KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {kiln::io_layouts(kFloats, kAnyLayout, KILN_IO_PREFERS_NHWC)};
    s.outputs = {kiln::io_layouts(kFloats, kAnyLayout, KILN_IO_PREFERS_NHWC)};
    return s;
  }
  static std::string check(const Node& node) {
    if (node.input(0).data) return "does not run on constants";
    return "";
  }
  static void infer(const Node& node, InferContext& ctx) { infer_like_input0(node, ctx); }
  explicit Relu(const Node& node) : base(node, true) {}
  void execute(ExecContext& ctx) {
    std::vector<Span> touches = base.checked(ctx);
    const TensorRef x = ref_of(ctx.input(0)), y = ref_of(ctx.output(0));
    base.enqueue_work(ctx, std::move(touches), [x, y] {
      walk<2>(y.dims, {&x.strides, &y.strides}, [&](const std::array<int64_t, 2>& at) {
        store(y.dtype, y.data, at[1], std::max(0.f, load(x.dtype, x.data, at[0])));
      });
    });
  }
  DeviceKernel base;
};

// The same Relu, 2 ms slower per call: what `tuning: {kernels: fastest}` must learn to avoid.
struct SlowRelu : Relu {
  static KernelSpec spec() {
    KernelSpec s = Relu::spec();
    s.name = "kiln.fake.SlowRelu";
    return s;
  }
  using Relu::Relu;
  void execute(ExecContext& ctx) {
    std::vector<Span> touches = base.checked(ctx);
    base.enqueue_work(ctx, std::move(touches), [] { std::this_thread::sleep_for(std::chrono::milliseconds(2)); });
    Relu::execute(ctx);
  }
};

// A slow Relu on the host, for timing between CPU kernels (the reference pack's Relu is the fast one).
struct HostSlowRelu {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.fake.HostSlowRelu";
    s.op_type = "Relu";
    s.device = KILN_DEVICE_CPU;
    s.inputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    s.outputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    return s;
  }
  static void infer(const Node& node, InferContext& ctx) { infer_like_input0(node, ctx); }
  explicit HostSlowRelu(const Node&) {}
  void execute(ExecContext& ctx) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const kiln::Tensor x = ctx.input(0), y = ctx.output(0);
    for (int64_t i = 0; i < x.numel(); ++i) y.data<float>()[i] = std::max(0.f, x.data<float>()[i]);
  }
};

struct Add {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.fake.Add";
    s.op_type = "Add";
    s.opset_min = 7;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {kiln::io_layouts(kFloats, kAnyLayout, KILN_IO_PREFERS_NHWC),
                kiln::io_layouts(kFloats, kAnyLayout, KILN_IO_PREFERS_NHWC)};
    s.outputs = {kiln::io_layouts(kFloats, kAnyLayout, KILN_IO_PREFERS_NHWC)};
    return s;
  }
  // The second input the first's shape, or broadcast into it (dims aligned at the end, each 1 or equal).
  static std::string check(const Node& node) {
    const kiln::ValueInfo a = node.input(0), b = node.input(1);
    if (a.data) return "needs a non-constant first input";
    if (a.dtype != b.dtype) return "needs one dtype for both inputs";
    if (!a.has_rank || !b.shape_known()) return "needs the first input's rank and the second's shape";
    if (b.rank() > a.rank()) return "broadcasts only the second input into the first";
    for (int d = 0; d < b.rank(); ++d) {  // a dim of the first input may be unknown where the second's is 1
      const int64_t bd = b.dims[static_cast<size_t>(d)], ad = a.dims[static_cast<size_t>(a.rank() - b.rank() + d)];
      if (bd != 1 && bd != ad) return "broadcasts only the second input into the first";
    }
    return "";
  }
  static void infer(const Node& node, InferContext& ctx) { infer_like_input0(node, ctx); }
  explicit Add(const Node& node) : base(node) {
    const kiln::ValueInfo b = node.input(1);
    if (b.data) constant_b = std::make_unique<DeviceCopy>(b.data, static_cast<size_t>(b.numel()) * kiln::dtype_size(b.dtype));
  }
  void execute(ExecContext& ctx) {
    std::vector<Span> touches = base.checked(ctx);
    const TensorRef a = ref_of(ctx.input(0)), y = ref_of(ctx.output(0));
    TensorRef b = ref_of(ctx.input(1));
    if (constant_b) {  // our uploaded copy, dense: never the host pointer execute is handed
      b.data = constant_b->data();
      b.strides = dense_strides(b.dims);
      touches.push_back({constant_b->data(), constant_b->bytes()});
    }
    const std::vector<int64_t> b_strides = broadcast_strides(b, y.dims);
    base.enqueue_work(ctx, std::move(touches), [a, b, y, b_strides] {
      walk<3>(y.dims, {&a.strides, &b_strides, &y.strides}, [&](const std::array<int64_t, 3>& at) {
        store(y.dtype, y.data, at[2], load(a.dtype, a.data, at[0]) + load(b.dtype, b.data, at[1]));
      });
    });
  }
  // b's strides over the output's dims: 0 along the dims it is broadcast over.
  static std::vector<int64_t> broadcast_strides(const TensorRef& b, const std::vector<int64_t>& dims) {
    std::vector<int64_t> strides(dims.size(), 0);
    const size_t lead = dims.size() - b.dims.size();
    for (size_t d = 0; d < b.dims.size(); ++d) strides[lead + d] = b.dims[d] == 1 ? 0 : b.strides[d];
    return strides;
  }
  DeviceKernel base;
  std::unique_ptr<DeviceCopy> constant_b;
};

struct Softmax {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.fake.Softmax";
    s.op_type = "Softmax";
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_PRECISION_SENSITIVE;
    s.inputs = {kiln::io(kFloats)};
    s.outputs = {kiln::io(kFloats)};
    return s;
  }
  static std::string check(const Node& node) {
    const kiln::ValueInfo x = node.input(0);
    if (x.data) return "does not run on constants";
    if (!x.has_rank || x.rank() == 0) return "needs a known rank of at least 1";
    int64_t axis = node.attr_int("axis", node.opset() < 13 ? 1 : -1);
    if (axis < 0) axis += x.rank();
    if (axis != x.rank() - 1) return "runs over the last axis only";
    return "";
  }
  static void infer(const Node& node, InferContext& ctx) { infer_like_input0(node, ctx); }
  // Stands in for a kernel that times algorithms: the first build "measures" and stores its choice in the
  // timing cache, later builds find it there; either way the decision is noted for `kiln inspect`.
  explicit Softmax(const Node& node) : base(node) {
    const kiln::ValueInfo x = node.input(0);
    std::string key = "kiln.fake.Softmax " + std::string(kiln::dtype_name(x.dtype)) + "[";
    for (int64_t d : x.dims) key += std::to_string(d) + ",";
    key += "] kiln fake device";
    if (kiln::tuning_get(key).empty()) {
      kiln::tuning_put(key, "rowwise");
      node.note("rowwise: measured");
    } else {
      node.note("rowwise: from the timing cache");
    }
  }
  // A float32 copy of the input, row by row: device scratch, checked like any device memory.
  size_t workspace_size(const ExecContext& ctx) const {
    return static_cast<size_t>(ctx.input(0).numel()) * sizeof(float);
  }
  void execute(ExecContext& ctx) {
    std::vector<Span> touches = base.checked(ctx);
    const TensorRef x = ref_of(ctx.input(0)), y = ref_of(ctx.output(0));
    const void* scratch = ctx.workspace();
    const size_t scratch_bytes = static_cast<size_t>(x.numel()) * sizeof(float);
    if (scratch_bytes) {
      if (ctx.workspace_bytes() < scratch_bytes || !is_device(scratch, scratch_bytes))
        kiln::fail_invalid(base.name() + ": the workspace is missing, too small or not device memory");
      if (reinterpret_cast<uintptr_t>(scratch) % 256 != 0)
        kiln::fail_invalid(base.name() + ": the workspace is not 256-byte aligned");
      touches.push_back({scratch, scratch_bytes});
    }
    base.enqueue_work(ctx, std::move(touches), [x, y, workspace = scratch] {
      float* rows = static_cast<float*>(real(workspace));
      if (x.numel() == 0) return;
      const int64_t n = x.dims.back();
      walk<1>(x.dims, {&x.strides}, [&, i = int64_t{0}](const std::array<int64_t, 1>& at) mutable {
        rows[i++] = load(x.dtype, x.data, at[0]);
      });
      std::vector<int64_t> row_dims(x.dims.begin(), x.dims.end() - 1);
      std::vector<int64_t> row_strides(y.strides.begin(), y.strides.end() - 1);
      const int64_t step = y.strides.back();
      walk<1>(row_dims, {&row_strides}, [&, r = int64_t{0}](const std::array<int64_t, 1>& at) mutable {
        const float* in = rows + r++ * n;
        double max = in[0], sum = 0;
        for (int64_t k = 1; k < n; ++k) max = std::max(max, static_cast<double>(in[k]));
        std::vector<double> e(static_cast<size_t>(n));
        for (int64_t k = 0; k < n; ++k) sum += e[static_cast<size_t>(k)] = std::exp(in[k] - max);
        for (int64_t k = 0; k < n; ++k)
          store(y.dtype, y.data, at[0] + k * step, static_cast<float>(e[static_cast<size_t>(k)] / sum));
      });
    });
  }
  DeviceKernel base;
};

struct Cast {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.fake.Cast";
    s.op_type = "Cast";
    s.opset_min = 6;
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {kiln::io_layouts(kFloats, kAnyLayout)};
    s.outputs = {kiln::io_layouts(kFloats, kAnyLayout)};
    return s;
  }
  static std::string check(const Node& node) {
    const int64_t to = node.attr_int("to", 0);
    if (to != KILN_DTYPE_FLOAT32 && to != KILN_DTYPE_FLOAT16) return "casts to float32 or float16 only";
    if (node.input(0).data) return "does not run on constants";
    return "";
  }
  static void infer(const Node& node, InferContext& ctx) {
    const kiln::ValueInfo x = ctx.input(0);
    const kiln_dtype to = static_cast<kiln_dtype>(node.attr_int("to"));
    if (x.has_rank) ctx.set_output(0, to, x.dims);
    else ctx.set_output_unknown_rank(0, to);
  }
  explicit Cast(const Node& node) : base(node) {}
  void execute(ExecContext& ctx) {
    std::vector<Span> touches = base.checked(ctx);
    const TensorRef x = ref_of(ctx.input(0)), y = ref_of(ctx.output(0));
    base.enqueue_work(ctx, std::move(touches), [x, y] {
      walk<2>(y.dims, {&x.strides, &y.strides}, [&](const std::array<int64_t, 2>& at) {
        store(y.dtype, y.data, at[1], load(x.dtype, x.data, at[0]));
      });
    });
  }
  DeviceKernel base;
};

// QuantizeLinear to int8 with one constant float32 scale and a constant int8 zero point of 0:
// y = saturate(round_half_even(x / s)). Enough for the builder's treatment of a quantized graph input
// (precision_assignment.hpp).
struct QuantizeLinear {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.fake.QuantizeLinear";
    s.op_type = "QuantizeLinear";
    s.opset_min = 10;
    s.device = KILN_DEVICE_CUDA;
    s.inputs = {kiln::io_layouts(kFloats, kAnyLayout), kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32)),
                kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_INT8))};
    s.outputs = {kiln::io_layouts(KILN_DTYPE_BIT(KILN_DTYPE_INT8), kAnyLayout)};
    return s;
  }
  static std::string check(const Node& node) {
    const kiln::ValueInfo x = node.input(0), scale = node.input(1);
    if (x.data) return "does not run on constants";
    if (!scale.data || scale.numel() != 1) return "takes one constant scale";
    const kiln::ValueInfo zero = node.input(2);
    if (!zero.data || zero.numel() != 1 || *static_cast<const int8_t*>(zero.data) != 0) return "takes a constant zero point of 0";
    return "";
  }
  static void infer(const Node& node, InferContext& ctx) {
    const kiln::ValueInfo x = ctx.input(0);
    if (x.has_rank) ctx.set_output(0, KILN_DTYPE_INT8, x.dims);
    else ctx.set_output_unknown_rank(0, KILN_DTYPE_INT8);
    (void)node;
  }
  explicit QuantizeLinear(const Node& node) : base(node), scale(*static_cast<const float*>(node.input(1).data)) {}
  void execute(ExecContext& ctx) {
    std::vector<Span> touches = base.checked(ctx);
    const TensorRef x = ref_of(ctx.input(0)), y = ref_of(ctx.output(0));
    base.enqueue_work(ctx, std::move(touches), [x, y, s = scale] {
      walk<2>(y.dims, {&x.strides, &y.strides}, [&](const std::array<int64_t, 2>& at) {
        const float q = std::nearbyint(load(x.dtype, x.data, at[0]) / s);
        static_cast<int8_t*>(real(y.data))[at[1]] = static_cast<int8_t>(std::min(127.f, std::max(-128.f, q)));
      });
    });
  }
  DeviceKernel base;
  float scale;
};

const kiln::KernelFactory kKernels[] = {&kiln::describe<Relu>,     &kiln::describe<Add>,
                                        &kiln::describe<Softmax>,  &kiln::describe<Cast>,
                                        &kiln::describe<SlowRelu>, &kiln::describe<HostSlowRelu>,
                                        &kiln::describe<QuantizeLinear>};

}  // namespace

KILN_DEFINE_DEVICE_PLUGIN("kiln.test.fake_device", "1.0.0",
                          "a fake CUDA device on the CPU, for testing the core's device path", kKernels, &kFakeDevice)

// --- Counters the tests read through dlsym

extern "C" {
KILN_PLUGIN_EXPORT long fake_device_kernel_runs() { return g_kernel_runs.load(); }
KILN_PLUGIN_EXPORT long fake_device_work_runs() { return g_work_runs.load(); }
KILN_PLUGIN_EXPORT long fake_device_graph_launches() { return g_graph_launches.load(); }
KILN_PLUGIN_EXPORT long fake_device_captures() { return g_captures.load(); }
KILN_PLUGIN_EXPORT long fake_device_live_allocations() { return memory().count(true); }
KILN_PLUGIN_EXPORT long fake_device_live_host_allocations() { return memory().count(false); }
KILN_PLUGIN_EXPORT long fake_device_copies(int direction) {
  return direction >= 1 && direction <= 3 ? g_copies[direction].load() : -1;
}
KILN_PLUGIN_EXPORT long fake_device_errors() { return g_errors.load(); }
// 1: streams created from now on keep their work until something waits for it; 0: they run it at once.
KILN_PLUGIN_EXPORT void fake_device_set_deferred(int on) { g_deferred = on != 0; }
// After `successes` more kernel executions, the next one fails (from execute, with an error status), as a real
// kernel might; -1 disarms it.
KILN_PLUGIN_EXPORT void fake_device_fail_kernel_after(long successes) { g_fail_after = successes; }
}
