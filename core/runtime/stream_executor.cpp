#include "runtime/stream_executor.hpp"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <vector>

namespace kiln {
namespace {

// The per-run events: which layers have finished, and whether any failed. One mutex and condition variable
// for the whole run is enough: layers are kernels, far longer than a wake-up.
class RunState {
 public:
  explicit RunState(size_t num_layers) : finished_(num_layers, false) {}

  // Blocks until `layer` has finished; false when the run failed instead.
  bool wait_for(int layer) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return finished_[layer] || failure_; });
    return !failure_;
  }

  bool failed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<bool>(failure_);
  }

  void finish(int layer) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      finished_[layer] = true;
    }
    changed_.notify_all();
  }

  // Keeps the first failure; waking every waiter is what lets the other streams stop instead of deadlocking.
  void fail(std::exception_ptr error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!failure_) failure_ = error;
    }
    changed_.notify_all();
  }

  void rethrow_failure() const {
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bool> finished_;
  std::exception_ptr failure_;
};

std::vector<std::vector<int>> waits_by_layer(const Schedule& schedule) {
  std::vector<std::vector<int>> waits(schedule.stream_of.size());
  for (const StreamWait& wait : schedule.waits) waits[wait.layer].push_back(wait.waits_for);
  return waits;
}

void run_stream(const std::vector<int>& layers, const std::vector<std::vector<int>>& waits,
                const std::function<void(int)>& run_layer, RunState& state) {
  for (int layer : layers) {
    if (state.failed()) return;
    for (int waits_for : waits[layer])
      if (!state.wait_for(waits_for)) return;
    try {
      run_layer(layer);
    } catch (...) {
      state.fail(std::current_exception());
      return;
    }
    state.finish(layer);
  }
}

}  // namespace

void run_streams(const Schedule& schedule, const std::function<void(int layer)>& run_layer, WorkerPool& pool) {
  validate_schedule(schedule, static_cast<int>(schedule.stream_of.size()));
  if (schedule.num_streams == 1) {
    for (int layer : schedule.stream_layers[0]) run_layer(layer);
    return;
  }
  const std::vector<std::vector<int>> waits = waits_by_layer(schedule);
  RunState state(schedule.stream_of.size());
  pool.run_concurrently(schedule.num_streams,
                        [&](int stream) { run_stream(schedule.stream_layers[stream], waits, run_layer, state); });
  state.rethrow_failure();
}

}  // namespace kiln
