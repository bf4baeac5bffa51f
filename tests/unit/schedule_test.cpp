// The stream scheduler and HappensBefore: chains stay on one stream, independent towers spread over streams,
// the waits are exactly the cross-stream edges needed, and HappensBefore agrees with a plain DFS.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <utility>

#include "layer_dag_testing.hpp"
#include "schedule/happens_before.hpp"
#include "schedule/stream_scheduler.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

using namespace testing_dag;

std::set<std::pair<int, int>> wait_set(const Schedule& schedule) {
  std::set<std::pair<int, int>> waits;
  for (const StreamWait& wait : schedule.waits) waits.insert({wait.layer, wait.waits_for});
  return waits;
}

// Every data dep is ordered by the schedule alone (stream order + waits).
bool schedule_orders_every_dep(const Deps& deps, const Schedule& schedule) {
  const auto reach = reachability(schedule_edges(schedule));
  for (size_t layer = 0; layer < deps.size(); ++layer)
    for (int dep : deps[layer])
      if (!reach[dep][layer]) return false;
  return true;
}

TEST(Schedule, ChainStaysOnOneStream) {
  const Schedule schedule = schedule_streams(chain(20), 4);
  EXPECT_EQ(schedule.num_streams, 1);
  EXPECT_EQ(schedule.stream_layers[0].size(), 20u);
  EXPECT_TRUE(schedule.waits.empty());
}

TEST(Schedule, FourTowersUseFourStreamsWithOnlyTheSplitAndJoinWaits) {
  const int depth = 3;
  const Deps deps = towers(4, depth);
  const Schedule schedule = schedule_streams(deps, 4);
  ASSERT_EQ(schedule.num_streams, 4);
  std::set<int> tower_streams;
  for (int tower = 0; tower < 4; ++tower) {
    const int first = 1 + tower * depth;
    for (int k = 1; k < depth; ++k) EXPECT_EQ(schedule.stream_of[first + k], schedule.stream_of[first]);
    tower_streams.insert(schedule.stream_of[first]);
  }
  EXPECT_EQ(tower_streams.size(), 4u);
  // The towers not on the split's stream wait for the split; the join waits for the towers not on its stream.
  const int join = static_cast<int>(deps.size()) - 1;
  std::set<std::pair<int, int>> expected;
  for (int tower = 0; tower < 4; ++tower) {
    const int first = 1 + tower * depth;
    const int last = first + depth - 1;
    if (schedule.stream_of[first] != schedule.stream_of[0]) expected.insert({first, 0});
    if (schedule.stream_of[last] != schedule.stream_of[join]) expected.insert({join, last});
  }
  EXPECT_EQ(expected.size(), 6u);
  EXPECT_EQ(wait_set(schedule), expected);
}

TEST(Schedule, TowersShareStreamsWhenFewerAreAllowed) {
  const Schedule schedule = schedule_streams(towers(4, 3), 2);
  EXPECT_EQ(schedule.num_streams, 2);
  EXPECT_TRUE(schedule_orders_every_dep(towers(4, 3), schedule));
}

TEST(Schedule, OneStreamMeansNoWaits) {
  std::mt19937 rng(1);
  const Deps deps = random_dag(rng, 100);
  const Schedule schedule = schedule_streams(deps, 1);
  EXPECT_EQ(schedule.num_streams, 1);
  EXPECT_TRUE(schedule.waits.empty());
  for (int layer = 0; layer < 100; ++layer) EXPECT_EQ(schedule.stream_layers[0][layer], layer);
}

TEST(Schedule, LayerCostsDecideTheLeastLoadedStream) {
  const Deps three_independent_layers(3);
  // By count, streams 0 and 1 tie after two layers and the third goes to stream 0.
  EXPECT_EQ(schedule_streams(three_independent_layers, 2).stream_of, (std::vector<int>{0, 1, 0}));
  // By cost, stream 0 carries 5 and the third layer joins the lighter stream 1.
  EXPECT_EQ(schedule_streams(three_independent_layers, 2, {5, 1, 1}).stream_of, (std::vector<int>{0, 1, 1}));
}

TEST(Schedule, WaitsAreSufficientAndEachOneIsNeeded) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const Deps deps = random_dag(rng, std::uniform_int_distribution<int>(10, 80)(rng));
    const Schedule schedule = schedule_streams(deps, 1 + trial % 4);
    validate_schedule(schedule, static_cast<int>(deps.size()));
    ASSERT_TRUE(schedule_orders_every_dep(deps, schedule)) << "trial " << trial;
    for (size_t dropped = 0; dropped < schedule.waits.size(); ++dropped) {
      Schedule without = schedule;
      without.waits.erase(without.waits.begin() + dropped);
      EXPECT_FALSE(schedule_orders_every_dep(deps, without))
          << "trial " << trial << ": the wait of layer " << schedule.waits[dropped].layer << " on "
          << schedule.waits[dropped].waits_for << " is implied by the others";
    }
  }
}

TEST(Schedule, HappensBeforeMatchesDfsReachability) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 12; ++trial) {
    const Deps deps = random_dag(rng, std::uniform_int_distribution<int>(50, 300)(rng));
    const Schedule schedule = schedule_streams(deps, 1 + trial % 4);
    const HappensBefore order(deps, schedule);
    const auto reach = reachability(schedule_and_data_edges(deps, schedule));
    const int n = static_cast<int>(deps.size());
    ASSERT_EQ(order.size(), n);
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) ASSERT_EQ(order.before(a, b), reach[a][b]) << a << " before " << b;
  }
}

TEST(Schedule, SequentialOrderIsIndexOrder) {
  const HappensBefore order = HappensBefore::sequential(5);
  EXPECT_TRUE(order.before(0, 4));
  EXPECT_TRUE(order.before(2, 3));
  EXPECT_FALSE(order.before(3, 3));
  EXPECT_FALSE(order.before(4, 1));
}

TEST(Schedule, HandlesTwoThousandLayers) {
  std::mt19937 rng(3);
  const Deps deps = random_dag(rng, 2000);
  const Schedule schedule = schedule_streams(deps, 4);
  const HappensBefore order(deps, schedule);
  for (size_t layer = 0; layer < deps.size(); ++layer)
    for (int dep : deps[layer]) ASSERT_TRUE(order.before(dep, static_cast<int>(layer)));
}

TEST(Schedule, RefusesMalformedInput) {
  EXPECT_THROW(schedule_streams({{}, {2}, {}}, 2), Error);  // a dep on a later layer
  EXPECT_THROW(schedule_streams({{}, {}}, 0), Error);
  EXPECT_THROW(schedule_streams({{}, {}}, 2, {1.0}), Error);
  Schedule backwards = schedule_streams(chain(3), 1);
  backwards.stream_layers[0] = {0, 2, 1};
  EXPECT_THROW(validate_schedule(backwards, 3), Error);
  Schedule missing_layer = schedule_streams(chain(3), 1);
  missing_layer.stream_layers[0].pop_back();
  EXPECT_THROW(validate_schedule(missing_layer, 3), Error);
}

}  // namespace
}  // namespace kiln
