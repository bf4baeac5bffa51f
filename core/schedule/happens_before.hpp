// HappensBefore: for a scheduled layer DAG, whether layer a finishes before layer b starts in every execution.
// That is reachability over the edges an execution enforces: data deps, same-stream order and cross-stream
// waits. Stored as one ancestor bitset per layer (N² bits: half a megabyte for 2000 layers), so a query is
// one bit test; the memory planner asks millions of them.
#ifndef KILN_CORE_HAPPENS_BEFORE_HPP
#define KILN_CORE_HAPPENS_BEFORE_HPP

#include <vector>

#include "schedule/schedule.hpp"
#include "util/bit_matrix.hpp"

namespace kiln {

class HappensBefore {
 public:
  // Room for num_layers layers, none added yet (the scheduler adds them one by one as it decides waits).
  explicit HappensBefore(int num_layers = 0);
  // The order of a whole schedule; throws kiln::Error if deps or the schedule are malformed.
  HappensBefore(const std::vector<std::vector<int>>& deps, const Schedule& schedule);
  // One stream running the layers in index order: a total order, where before(a, b) is simply a < b.
  static HappensBefore sequential(int num_layers);

  // Adds the next layer (index size()), which starts after every one of `predecessors` (earlier layers) ends.
  void add_layer(const std::vector<int>& predecessors);

  int size() const { return added_; }
  // Layer a finishes before layer b starts. False for a == b.
  bool before(int a, int b) const { return ancestors_.test(b, a); }

 private:
  BitMatrix ancestors_;  // row b: every layer that happens before b
  int added_ = 0;
};

}  // namespace kiln

#endif  // KILN_CORE_HAPPENS_BEFORE_HPP
