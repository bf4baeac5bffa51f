// The CPU stream executor: every dependency is respected (checked with start/finish sequence numbers), an
// exception on one stream stops the others and reaches the caller without hanging, and runs reuse the pool.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include "layer_dag_testing.hpp"
#include "runtime/stream_executor.hpp"
#include "schedule/stream_scheduler.hpp"

namespace kiln {
namespace {

using namespace testing_dag;

// Fails the test binary instead of hanging it when `work` deadlocks.
template <typename Work>
void within_seconds(int seconds, Work work) {
  auto done = std::async(std::launch::async, work);
  if (done.wait_for(std::chrono::seconds(seconds)) != std::future_status::ready) {
    std::fprintf(stderr, "stream executor test: no result after %d s, a deadlock\n", seconds);
    std::abort();
  }
  done.get();
}

// A few microseconds of varying work, so that streams interleave differently from run to run.
void busy_work(int layer, int run) {
  volatile int sink = 0;
  for (int i = 0; i < ((layer * 7919 + run * 104729) % 2000); ++i) sink = sink + i;
}

TEST(StreamExecutor, RespectsEveryDependencyAndStreamOrder) {
  std::mt19937 rng(17);
  WorkerPool pool;
  for (int run = 0; run < 60; ++run) {
    const Deps deps = random_dag(rng, std::uniform_int_distribution<int>(20, 200)(rng));
    const Schedule schedule = schedule_streams(deps, 1 + run % 4);
    std::atomic<int> clock{0};
    std::vector<int> started(deps.size(), -1), finished(deps.size(), -1);
    within_seconds(60, [&] {
      run_streams(schedule, [&](int layer) {
        started[layer] = clock++;
        busy_work(layer, run);
        finished[layer] = clock++;
      }, pool);
    });
    for (size_t layer = 0; layer < deps.size(); ++layer) {
      ASSERT_GE(started[layer], 0) << "layer " << layer << " never ran";
      for (int dep : deps[layer]) ASSERT_LT(finished[dep], started[layer]) << dep << " -> " << layer;
    }
    for (const std::vector<int>& layers : schedule.stream_layers)
      for (size_t k = 1; k < layers.size(); ++k) ASSERT_LT(finished[layers[k - 1]], started[layers[k]]);
  }
}

TEST(StreamExecutor, ExceptionStopsTheOtherStreamsAndReachesTheCaller) {
  // Four towers of 50 layers; the second tower fails at its third layer and the join waits for it.
  const int depth = 50;
  const Deps deps = towers(4, depth);
  const Schedule schedule = schedule_streams(deps, 4);
  ASSERT_EQ(schedule.num_streams, 4);
  const int failing = 1 + depth + 2;
  const int join = static_cast<int>(deps.size()) - 1;
  WorkerPool pool;
  for (int run = 0; run < 20; ++run) {
    std::vector<std::atomic<bool>> ran(deps.size());
    within_seconds(60, [&] {
      try {
        run_streams(schedule, [&](int layer) {
          ran[layer] = true;
          if (layer == failing) throw std::runtime_error("layer failed");
          busy_work(layer, run);
        }, pool);
        ADD_FAILURE() << "no exception";
      } catch (const std::runtime_error& error) {
        EXPECT_STREQ(error.what(), "layer failed");
      }
    });
    EXPECT_FALSE(ran[failing + 1]);
    EXPECT_FALSE(ran[join]);
  }
  // The pool is still usable after a failed run.
  std::atomic<int> count{0};
  run_streams(schedule, [&](int) { ++count; }, pool);
  EXPECT_EQ(count, static_cast<int>(deps.size()));
}

TEST(StreamExecutor, OneStreamRunsInlineAndRethrows) {
  const Schedule schedule = schedule_streams(chain(5), 1);
  WorkerPool pool;
  std::vector<int> order;
  const std::thread::id caller = std::this_thread::get_id();
  run_streams(schedule, [&](int layer) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    order.push_back(layer);
  }, pool);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(pool.thread_count(), 0);
  EXPECT_THROW(run_streams(schedule, [](int layer) { if (layer == 2) throw std::logic_error("x"); }, pool),
               std::logic_error);
}

TEST(StreamExecutor, RepeatedRunsReuseThePoolThreads) {
  const Schedule schedule = schedule_streams(towers(4, 10), 4);
  WorkerPool pool;
  std::mutex mutex;
  std::set<std::thread::id> threads;
  for (int run = 0; run < 50; ++run)
    run_streams(schedule, [&](int) {
      std::lock_guard<std::mutex> lock(mutex);
      threads.insert(std::this_thread::get_id());
    }, pool);
  // Stream 0 on the caller's thread, three pool threads, created once.
  EXPECT_EQ(pool.thread_count(), 3);
  EXPECT_EQ(threads.size(), 4u);
  EXPECT_TRUE(threads.count(std::this_thread::get_id()));
}

}  // namespace
}  // namespace kiln
