// Runs a multi-stream schedule on the CPU: each stream's layers in order on a thread of its own, honouring the
// schedule's cross-stream waits. The CPU stand-in for device streams and events, and the way to test that a
// schedule is complete: a missing wait shows up as a layer reading an input that is not ready.
#ifndef KILN_CORE_STREAM_EXECUTOR_HPP
#define KILN_CORE_STREAM_EXECUTOR_HPP

#include <functional>

#include "runtime/worker_pool.hpp"
#include "schedule/schedule.hpp"

namespace kiln {

// Calls run_layer(layer) for every layer of the schedule. Stream 0 runs on the calling thread and the others on
// pool threads; one stream runs entirely inline. If run_layer throws, every stream stops before its next layer
// (a wait on a layer that will never finish is released) and the first exception is rethrown here.
// Throws kiln::Error, running nothing, when the schedule is malformed (see validate_schedule).
void run_streams(const Schedule& schedule, const std::function<void(int layer)>& run_layer, WorkerPool& pool);

}  // namespace kiln

#endif  // KILN_CORE_STREAM_EXECUTOR_HPP
