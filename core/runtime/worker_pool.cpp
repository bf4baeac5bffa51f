#include "runtime/worker_pool.hpp"

namespace kiln {

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

int WorkerPool::thread_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(threads_.size());
}

void WorkerPool::grow_to(int threads) {
  // A new worker starts at the current generation, so it does not mistake a finished run for a new one.
  while (static_cast<int>(threads_.size()) < threads) {
    const int worker = static_cast<int>(threads_.size());
    threads_.emplace_back(&WorkerPool::worker_loop, this, worker, generation_);
  }
}

void WorkerPool::worker_loop(int worker, uint64_t seen_generation) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
    if (stopping_) return;
    seen_generation = generation_;
    const int task_index = worker + 1;
    if (task_index >= task_count_) continue;
    const std::function<void(int)>& task = *task_;
    lock.unlock();
    task(task_index);
    lock.lock();
    if (--running_ == 0) work_done_.notify_all();
  }
}

void WorkerPool::wait_for_workers() {
  std::unique_lock<std::mutex> lock(mutex_);
  work_done_.wait(lock, [&] { return running_ == 0; });
}

void WorkerPool::run_concurrently(int count, const std::function<void(int)>& task) {
  if (count <= 0) return;
  std::lock_guard<std::mutex> one_run(run_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    grow_to(count - 1);
    task_ = &task;
    task_count_ = count;
    running_ = count - 1;
    ++generation_;
  }
  work_ready_.notify_all();
  try {
    task(0);
  } catch (...) {
    wait_for_workers();  // the workers still hold a reference to `task`
    throw;
  }
  wait_for_workers();
}

}  // namespace kiln
