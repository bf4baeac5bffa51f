#include "schedule/stream_scheduler.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <string>

#include "schedule/happens_before.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

void validate_inputs(const std::vector<std::vector<int>>& deps, int max_streams,
                     const std::vector<double>& layer_costs) {
  if (max_streams < 1)
    throw Error("schedule_streams: max_streams must be at least 1, got " + std::to_string(max_streams));
  if (!layer_costs.empty() && layer_costs.size() != deps.size())
    throw Error("schedule_streams: " + std::to_string(layer_costs.size()) + " layer costs for " +
                std::to_string(deps.size()) + " layers");
  for (double cost : layer_costs)
    if (!(cost >= 0)) throw Error("schedule_streams: layer costs must be non-negative numbers");
  validate_layer_deps(deps);
}

// Builds the schedule layer by layer, keeping the happens-before relation of what is decided so far, which is
// what tells a needed wait from one that is already implied.
class ScheduleBuilder {
 public:
  ScheduleBuilder(const std::vector<std::vector<int>>& deps, int max_streams, const std::vector<double>& layer_costs)
      : deps_(deps), max_streams_(max_streams), layer_costs_(layer_costs), order_(static_cast<int>(deps.size())) {
    schedule_.stream_of.assign(deps.size(), -1);
  }

  Schedule build() {
    for (int layer = 0; layer < static_cast<int>(deps_.size()); ++layer) place(layer);
    return std::move(schedule_);
  }

 private:
  void place(int layer) {
    int stream = continued_stream(layer);
    if (stream < 0) stream = least_loaded_stream();
    std::vector<int> predecessors = needed_waits(layer, stream);
    for (int waits_for : predecessors) schedule_.waits.push_back({layer, waits_for});
    std::vector<int>& layers = schedule_.stream_layers[stream];
    if (!layers.empty()) predecessors.push_back(layers.back());
    order_.add_layer(predecessors);
    layers.push_back(layer);
    schedule_.stream_of[layer] = stream;
    load_[stream] += layer_costs_.empty() ? 1.0 : layer_costs_[layer];
  }

  // The stream of the first producer that is still its stream's latest layer, or -1.
  int continued_stream(int layer) const {
    for (int dep : deps_[layer]) {
      const int stream = schedule_.stream_of[dep];
      if (schedule_.stream_layers[stream].back() == dep) return stream;
    }
    return -1;
  }

  // A stream not yet open counts as load 0; ties go to the lowest index.
  int least_loaded_stream() {
    int best = -1;
    for (int stream = 0; stream < schedule_.num_streams; ++stream)
      if (best < 0 || load_[stream] < load_[best]) best = stream;
    const bool open_new = schedule_.num_streams < max_streams_ && (best < 0 || load_[best] > 0);
    if (!open_new) return best;
    schedule_.stream_layers.emplace_back();
    load_.push_back(0);
    return schedule_.num_streams++;
  }

  // Only the latest dep on each other stream can need a wait (stream order implies the earlier ones). Going
  // from the latest candidate down, one is skipped when the stream's previous layer or a wait already chosen
  // happens after it; a later wait can never be implied by an earlier one, so the result is minimal.
  std::vector<int> needed_waits(int layer, int stream) const {
    std::map<int, int> latest_dep_of_stream;  // other stream -> its latest dep
    for (int dep : deps_[layer]) {
      const int dep_stream = schedule_.stream_of[dep];
      if (dep_stream != stream) latest_dep_of_stream[dep_stream] = std::max(latest_dep_of_stream[dep_stream], dep);
    }
    std::vector<int> candidates;
    for (const auto& entry : latest_dep_of_stream) candidates.push_back(entry.second);
    std::sort(candidates.begin(), candidates.end(), std::greater<int>());

    const std::vector<int>& layers = schedule_.stream_layers[stream];
    std::vector<int> known = layers.empty() ? std::vector<int>{} : std::vector<int>{layers.back()};
    std::vector<int> waits;
    for (int candidate : candidates) {
      const bool implied = std::any_of(known.begin(), known.end(),
                                       [&](int done) { return done == candidate || order_.before(candidate, done); });
      if (implied) continue;
      waits.push_back(candidate);
      known.push_back(candidate);
    }
    return waits;
  }

  const std::vector<std::vector<int>>& deps_;
  const int max_streams_;
  const std::vector<double>& layer_costs_;
  HappensBefore order_;
  Schedule schedule_;
  std::vector<double> load_;
};

}  // namespace

Schedule schedule_streams(const std::vector<std::vector<int>>& deps, int max_streams,
                          const std::vector<double>& layer_costs) {
  validate_inputs(deps, max_streams, layer_costs);
  return ScheduleBuilder(deps, max_streams, layer_costs).build();
}

}  // namespace kiln
