#include "schedule/happens_before.hpp"

#include <string>

#include "util/error.hpp"

namespace kiln {
namespace {

// What an execution of the schedule makes layer i wait for: its data deps, its stream predecessor and its
// cross-stream waits. (The data deps are implied by the other two in a valid schedule; including them keeps
// the relation honest for a schedule that forgot a wait.)
std::vector<std::vector<int>> enforced_predecessors(const std::vector<std::vector<int>>& deps,
                                                    const Schedule& schedule) {
  std::vector<std::vector<int>> predecessors = deps;
  for (const std::vector<int>& layers : schedule.stream_layers)
    for (size_t k = 1; k < layers.size(); ++k) predecessors[layers[k]].push_back(layers[k - 1]);
  for (const StreamWait& wait : schedule.waits) predecessors[wait.layer].push_back(wait.waits_for);
  return predecessors;
}

}  // namespace

HappensBefore::HappensBefore(int num_layers) : ancestors_(static_cast<size_t>(num_layers)) {}

HappensBefore::HappensBefore(const std::vector<std::vector<int>>& deps, const Schedule& schedule)
    : HappensBefore(static_cast<int>(deps.size())) {
  validate_layer_deps(deps);
  validate_schedule(schedule, static_cast<int>(deps.size()));
  for (const std::vector<int>& predecessors : enforced_predecessors(deps, schedule)) add_layer(predecessors);
}

HappensBefore HappensBefore::sequential(int num_layers) {
  HappensBefore order(num_layers);
  for (int layer = 0; layer < num_layers; ++layer)
    order.add_layer(layer == 0 ? std::vector<int>{} : std::vector<int>{layer - 1});
  return order;
}

void HappensBefore::add_layer(const std::vector<int>& predecessors) {
  const int layer = added_;
  if (static_cast<size_t>(layer) >= ancestors_.size())
    throw Error("HappensBefore: room for " + std::to_string(ancestors_.size()) + " layers only");
  for (int predecessor : predecessors) {
    if (predecessor < 0 || predecessor >= layer)
      throw Error("HappensBefore: layer " + std::to_string(layer) + " cannot follow layer " +
                  std::to_string(predecessor) + ", which is not an earlier layer");
    ancestors_.merge_row(layer, predecessor);
    ancestors_.set(layer, predecessor);
  }
  ++added_;
}

}  // namespace kiln
