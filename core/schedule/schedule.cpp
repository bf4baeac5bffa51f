#include "schedule/schedule.hpp"

#include <string>

#include "util/error.hpp"

namespace kiln {
namespace {

std::string layer_name(int layer) { return "layer " + std::to_string(layer); }
std::string stream_name(int stream) { return "stream " + std::to_string(stream); }

[[noreturn]] void refuse(const std::string& why) { throw Error("schedule: " + why); }

void check_stream_layers(const Schedule& schedule, int num_layers) {
  std::vector<bool> seen(num_layers, false);
  for (int stream = 0; stream < schedule.num_streams; ++stream) {
    int previous = -1;
    for (int layer : schedule.stream_layers[stream]) {
      const std::string where = stream_name(stream) + " runs " + layer_name(layer);
      if (layer < 0 || layer >= num_layers) refuse(where + ", out of range");
      if (seen[layer]) refuse(layer_name(layer) + " is scheduled twice");
      if (layer <= previous) refuse(where + " after " + layer_name(previous));
      if (schedule.stream_of[layer] != stream)
        refuse(where + " but stream_of says " + stream_name(schedule.stream_of[layer]));
      seen[layer] = true;
      previous = layer;
    }
  }
  for (int layer = 0; layer < num_layers; ++layer)
    if (!seen[layer]) refuse(layer_name(layer) + " is on no stream");
}

void check_waits(const Schedule& schedule, int num_layers) {
  for (const StreamWait& wait : schedule.waits) {
    const std::string what = layer_name(wait.layer) + " waits for " + layer_name(wait.waits_for);
    if (wait.layer < 0 || wait.layer >= num_layers || wait.waits_for < 0 || wait.waits_for >= wait.layer)
      refuse(what + ", which is not an earlier layer");
    if (schedule.stream_of[wait.layer] == schedule.stream_of[wait.waits_for]) refuse(what + " on its own stream");
  }
}

}  // namespace

void validate_layer_deps(const std::vector<std::vector<int>>& deps) {
  for (size_t layer = 0; layer < deps.size(); ++layer)
    for (int dep : deps[layer])
      if (dep < 0 || static_cast<size_t>(dep) >= layer)
        throw Error(layer_name(static_cast<int>(layer)) + " depends on " + layer_name(dep) +
                    ", which is not an earlier layer");
}

void validate_schedule(const Schedule& schedule, int num_layers) {
  if (schedule.num_streams < 0 || static_cast<int>(schedule.stream_layers.size()) != schedule.num_streams)
    refuse("num_streams is " + std::to_string(schedule.num_streams) + " but there are " +
           std::to_string(schedule.stream_layers.size()) + " streams of layers");
  if (static_cast<int>(schedule.stream_of.size()) != num_layers)
    refuse("stream_of has " + std::to_string(schedule.stream_of.size()) + " entries for " +
           std::to_string(num_layers) + " layers");
  check_stream_layers(schedule, num_layers);
  check_waits(schedule, num_layers);
}

}  // namespace kiln
