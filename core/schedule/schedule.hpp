// A multi-stream schedule of a layer DAG: which stream runs each layer, in what order, and which cross-stream
// waits (event record after one layer, event wait before another) keep every data dependency satisfied.
// Layers are plain indices whose numeric order is a valid topological order; nothing here knows the graph.
#ifndef KILN_CORE_SCHEDULE_HPP
#define KILN_CORE_SCHEDULE_HPP

#include <vector>

namespace kiln {

// Before `layer` runs, its stream waits on the event recorded after `waits_for` (a layer on another stream).
struct StreamWait {
  int layer = 0;
  int waits_for = 0;
};

struct Schedule {
  int num_streams = 0;
  std::vector<int> stream_of;                 // per layer
  std::vector<std::vector<int>> stream_layers;  // per stream, in execution order
  std::vector<StreamWait> waits;              // sorted by layer
};

// deps[i] lists the layers whose outputs layer i reads; each must be an earlier index (so index order is a
// topological order). Throws kiln::Error naming the first layer that breaks this.
void validate_layer_deps(const std::vector<std::vector<int>>& deps);

// Throws kiln::Error unless every one of num_layers layers is on exactly one stream, stream_of agrees with
// stream_layers, each stream runs its layers in increasing index order and every wait points from a later
// layer to an earlier one on another stream. Together these make the schedule deadlock-free: every wait and
// every stream order edge goes from a lower index to a higher one.
void validate_schedule(const Schedule& schedule, int num_layers);

}  // namespace kiln

#endif  // KILN_CORE_SCHEDULE_HPP
