// Test helpers shared by the scheduler, memory planner and stream executor tests: random layer DAGs, the usual
// shapes (chains, Inception-like towers), and a reachability computed by plain DFS, independently of
// HappensBefore, to check the components against.
#ifndef KILN_TESTS_LAYER_DAG_TESTING_HPP
#define KILN_TESTS_LAYER_DAG_TESTING_HPP

#include <algorithm>
#include <random>
#include <vector>

#include "schedule/schedule.hpp"

namespace kiln {
namespace testing_dag {

using Deps = std::vector<std::vector<int>>;

// Each layer reads up to three earlier layers, mostly recent ones (as in real networks), sometimes none.
inline Deps random_dag(std::mt19937& rng, int num_layers) {
  Deps deps(num_layers);
  for (int layer = 1; layer < num_layers; ++layer) {
    const int inputs = std::uniform_int_distribution<int>(0, 3)(rng);
    for (int k = 0; k < inputs; ++k) {
      const int reach = std::min(layer, std::uniform_int_distribution<int>(0, 3)(rng) == 0 ? layer : 6);
      const int dep = layer - 1 - std::uniform_int_distribution<int>(0, reach - 1)(rng);
      if (std::find(deps[layer].begin(), deps[layer].end(), dep) == deps[layer].end()) deps[layer].push_back(dep);
    }
  }
  return deps;
}

inline Deps chain(int num_layers) {
  Deps deps(num_layers);
  for (int layer = 1; layer < num_layers; ++layer) deps[layer] = {layer - 1};
  return deps;
}

// Layer 0 splits into `towers` chains of `depth` layers, built tower after tower, joined by a last layer.
// Tower t's layers are 1 + t*depth ... (t+1)*depth.
inline Deps towers(int num_towers, int depth) {
  Deps deps(1 + num_towers * depth + 1);
  std::vector<int> ends;
  for (int tower = 0; tower < num_towers; ++tower) {
    const int first = 1 + tower * depth;
    deps[first] = {0};
    for (int k = 1; k < depth; ++k) deps[first + k] = {first + k - 1};
    ends.push_back(first + depth - 1);
  }
  deps.back() = ends;
  return deps;
}

// reach[a][b]: a path a -> b over the given predecessor lists (a != b).
inline std::vector<std::vector<bool>> reachability(const Deps& predecessors) {
  const int n = static_cast<int>(predecessors.size());
  std::vector<std::vector<bool>> reach(n, std::vector<bool>(n, false));
  for (int target = 0; target < n; ++target) {
    std::vector<int> stack(predecessors[target].begin(), predecessors[target].end());
    while (!stack.empty()) {
      const int layer = stack.back();
      stack.pop_back();
      if (reach[layer][target]) continue;
      reach[layer][target] = true;
      stack.insert(stack.end(), predecessors[layer].begin(), predecessors[layer].end());
    }
  }
  return reach;
}

// What an execution of the schedule alone enforces: stream order and waits (no data deps).
inline Deps schedule_edges(const Schedule& schedule) {
  Deps predecessors(schedule.stream_of.size());
  for (const std::vector<int>& layers : schedule.stream_layers)
    for (size_t k = 1; k < layers.size(); ++k) predecessors[layers[k]].push_back(layers[k - 1]);
  for (const StreamWait& wait : schedule.waits) predecessors[wait.layer].push_back(wait.waits_for);
  return predecessors;
}

inline Deps schedule_and_data_edges(const Deps& deps, const Schedule& schedule) {
  Deps predecessors = schedule_edges(schedule);
  for (size_t layer = 0; layer < deps.size(); ++layer)
    predecessors[layer].insert(predecessors[layer].end(), deps[layer].begin(), deps[layer].end());
  return predecessors;
}

}  // namespace testing_dag
}  // namespace kiln

#endif  // KILN_TESTS_LAYER_DAG_TESTING_HPP
