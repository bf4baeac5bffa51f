// A small set of persistent threads for running a fixed number of tasks at once (one per stream), so that a
// run of an engine does not pay for creating threads. Threads are created when a run first needs them and
// reused by every later run.
#ifndef KILN_CORE_WORKER_POOL_HPP
#define KILN_CORE_WORKER_POOL_HPP

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln {

class WorkerPool {
 public:
  WorkerPool() = default;
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs task(i) for every i in [0, count) at the same time: task(0) on the calling thread, the others on pool
  // threads, and returns when all have returned. Tasks running on pool threads must not throw (they would end
  // the process); an exception from task(0) is rethrown once the others are done. Calls are serialized.
  void run_concurrently(int count, const std::function<void(int)>& task);

  int thread_count() const;

 private:
  void grow_to(int threads);  // under mutex_
  void worker_loop(int worker, uint64_t seen_generation);
  void wait_for_workers();

  std::mutex run_mutex_;  // one run at a time
  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  std::vector<std::thread> threads_;
  const std::function<void(int)>* task_ = nullptr;
  int task_count_ = 0;   // task(1..task_count_-1) go to workers 0..task_count_-2
  int running_ = 0;      // workers still busy with the current run
  uint64_t generation_ = 0;  // bumped per run, so a worker sees each run exactly once
  bool stopping_ = false;
};

}  // namespace kiln

#endif  // KILN_CORE_WORKER_POOL_HPP
