// Assigns the layers of a DAG to streams so that independent branches (Inception's towers between a split and
// a Concat) can run at once, and adds the fewest cross-stream waits that keep every dependency satisfied.
#ifndef KILN_CORE_STREAM_SCHEDULER_HPP
#define KILN_CORE_STREAM_SCHEDULER_HPP

#include <vector>

#include "schedule/schedule.hpp"

namespace kiln {

// deps[i]: the layers whose outputs layer i reads, all earlier indices. Layers are visited in index order:
// a layer continues the stream of one of its producers when that producer is the stream's latest layer (so a
// chain stays on one stream); otherwise it goes to the least-loaded stream, opening a new one while fewer than
// max_streams are open. Load is the sum of layer_costs (1 per layer when empty) of a stream's layers.
// A wait is recorded only for a cross-stream dependency that the stream order and earlier waits do not
// already imply, so the waits are a transitive reduction. Throws kiln::Error on malformed input.
Schedule schedule_streams(const std::vector<std::vector<int>>& deps, int max_streams,
                          const std::vector<double>& layer_costs = {});

}  // namespace kiln

#endif  // KILN_CORE_STREAM_SCHEDULER_HPP
