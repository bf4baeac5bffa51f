#include "memory/memory_planner.hpp"

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>

#include "memory/buffer_lifetime.hpp"
#include "memory/offset_placement.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

size_t align_up(size_t bytes, size_t alignment) { return (bytes + alignment - 1) / alignment * alignment; }

// Buffers that share one place in the arena: a buffer alone, or a chain of legal in-place requests. The
// planner places blocks; a block's lifetime is that of its members one after the other.
struct Blocks {
  std::vector<int> block_of;  // per buffer; -1 when pinned
  std::vector<size_t> sizes;  // per block: its largest member, aligned
  std::vector<Lifetime> lifetimes;
};

// Which buffer each buffer shares bytes with: itself, or the buffer it legally works in place of. A buffer
// lends its bytes once; a second in-place request on it is refused (the two would overlap each other).
std::vector<int> inplace_targets(const std::vector<BufferUse>& buffers, const HappensBefore& order) {
  std::vector<int> target(buffers.size());
  std::vector<bool> lent(buffers.size(), false);
  for (size_t index = 0; index < buffers.size(); ++index) {
    target[index] = static_cast<int>(index);
    const int shared = buffers[index].inplace_of;
    if (!inplace_is_legal(buffers, static_cast<int>(index), order) || lent[shared]) continue;
    lent[shared] = true;
    target[index] = shared;
  }
  return target;
}

int chain_root(const std::vector<int>& target, int buffer) {
  while (target[buffer] != buffer) buffer = target[buffer];
  return buffer;
}

Blocks group_into_blocks(const std::vector<BufferUse>& buffers, const HappensBefore& order, size_t alignment) {
  const std::vector<int> target = inplace_targets(buffers, order);
  Blocks blocks;
  blocks.block_of.assign(buffers.size(), -1);
  std::vector<int> block_of_root(buffers.size(), -1);
  // A chain member's producer follows its root's, so visiting roots first (by producer) gives the block the
  // root's start. Index order is not enough: a request may point to a later index.
  std::vector<int> by_producer(buffers.size());
  std::iota(by_producer.begin(), by_producer.end(), 0);
  std::stable_sort(by_producer.begin(), by_producer.end(),
                   [&](int a, int b) { return buffers[a].producer < buffers[b].producer; });
  for (int index : by_producer) {
    if (buffers[index].pinned) continue;
    int& block = block_of_root[chain_root(target, index)];
    const Lifetime lifetime = lifetime_of(buffers[index]);
    const size_t size = align_up(buffers[index].bytes, alignment);
    if (block < 0) {
      block = static_cast<int>(blocks.sizes.size());
      blocks.sizes.push_back(size);
      blocks.lifetimes.push_back(lifetime);
    } else {
      blocks.sizes[block] = std::max(blocks.sizes[block], size);
      blocks.lifetimes[block] = merge_lifetimes(blocks.lifetimes[block], lifetime);
    }
    blocks.block_of[index] = block;
  }
  return blocks;
}

BitMatrix block_conflicts(const Blocks& blocks, const HappensBefore& order) {
  BitMatrix conflicts(blocks.sizes.size());
  for (size_t a = 0; a < blocks.sizes.size(); ++a)
    for (size_t b = a + 1; b < blocks.sizes.size(); ++b)
      if (lifetimes_overlap(blocks.lifetimes[a], blocks.lifetimes[b], order)) {
        conflicts.set(a, b);
        conflicts.set(b, a);
      }
  return conflicts;
}

// Block ids sorted by a key, highest first; ties keep the lower id first, so plans are deterministic.
std::vector<int> by_descending(const std::vector<size_t>& key, std::vector<int> block_ids) {
  std::stable_sort(block_ids.begin(), block_ids.end(), [&](int a, int b) { return key[a] > key[b]; });
  return block_ids;
}

std::vector<int> all_blocks(const Blocks& blocks) {
  std::vector<int> block_ids(blocks.sizes.size());
  std::iota(block_ids.begin(), block_ids.end(), 0);
  return block_ids;
}

// TFLite's greedy by size: largest first.
std::vector<int> largest_first(const Blocks& blocks) { return by_descending(blocks.sizes, all_blocks(blocks)); }

// Blocks in the most crowded neighbourhoods first (own bytes plus the bytes of every block they conflict
// with): those are where a bad offset costs the most. Often the best of the three on real-shaped graphs.
std::vector<int> most_contended_first(const Blocks& blocks, const BitMatrix& conflicts) {
  std::vector<size_t> contention = blocks.sizes;
  for (size_t a = 0; a < blocks.sizes.size(); ++a)
    for (size_t b = 0; b < blocks.sizes.size(); ++b)
      if (conflicts.test(a, b)) contention[a] += blocks.sizes[b];
  return by_descending(contention, all_blocks(blocks));
}

// TFLite's greedy by breadth: layers by the bytes live while they run, busiest first; at each, the blocks live
// there and not yet placed, largest first. It packs the peak first, where greedy by size can fragment.
std::vector<int> busiest_layer_first(const Blocks& blocks, const HappensBefore& order) {
  const int num_layers = order.size();
  std::vector<std::vector<int>> live_at(num_layers);
  std::vector<size_t> breadth(num_layers, 0);
  for (int layer = 0; layer < num_layers; ++layer) {
    const Lifetime running{layer, {layer}, {}};
    for (size_t block = 0; block < blocks.sizes.size(); ++block)
      if (lifetimes_overlap(blocks.lifetimes[block], running, order)) {
        live_at[layer].push_back(static_cast<int>(block));
        breadth[layer] += blocks.sizes[block];
      }
  }
  std::vector<int> layers(num_layers);
  std::iota(layers.begin(), layers.end(), 0);
  std::stable_sort(layers.begin(), layers.end(), [&](int a, int b) { return breadth[a] > breadth[b]; });

  std::vector<int> placement_order;
  std::vector<bool> queued(blocks.sizes.size(), false);
  for (int layer : layers) {
    std::vector<int> fresh;
    for (int block : live_at[layer])
      if (!queued[block]) fresh.push_back(block), queued[block] = true;
    fresh = by_descending(blocks.sizes, fresh);
    placement_order.insert(placement_order.end(), fresh.begin(), fresh.end());
  }
  return placement_order;
}

MemoryPlan plan_from_blocks(const std::vector<BufferUse>& buffers, const Blocks& blocks, const Placement& placement,
                            size_t alignment) {
  MemoryPlan plan;
  plan.arena_bytes = placement.arena_bytes;
  for (size_t index = 0; index < buffers.size(); ++index) {
    const int block = blocks.block_of[index];
    plan.sizes.push_back(align_up(buffers[index].bytes, alignment));
    plan.offsets.push_back(block < 0 ? MemoryPlan::kNotInArena : placement.offsets[block]);
    if (block >= 0) plan.naive_bytes += plan.sizes.back();
  }
  return plan;
}

}  // namespace

MemoryPlan plan_memory(const std::vector<BufferUse>& buffers, const HappensBefore& order, size_t alignment) {
  if (alignment == 0) throw Error("memory plan: alignment must be positive");
  validate_buffers(buffers, order);
  const Blocks blocks = group_into_blocks(buffers, order, alignment);
  const BitMatrix conflicts = block_conflicts(blocks, order);
  std::optional<Placement> best;
  for (const std::vector<int>& placement_order :
       {largest_first(blocks), busiest_layer_first(blocks, order), most_contended_first(blocks, conflicts)}) {
    Placement candidate = place_best_fit(blocks.sizes, conflicts, placement_order);
    if (!best || candidate.arena_bytes < best->arena_bytes) best = std::move(candidate);
  }
  return plan_from_blocks(buffers, blocks, *best, alignment);
}

}  // namespace kiln
