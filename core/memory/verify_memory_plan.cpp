#include "memory/verify_memory_plan.hpp"

#include <string>

#include "memory/buffer_lifetime.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

std::string buffer_name(size_t index) { return "buffer " + std::to_string(index); }

std::string byte_range(const MemoryPlan& plan, size_t index) {
  const size_t begin = plan.offsets[index];
  return "[" + std::to_string(begin) + ", " + std::to_string(begin + plan.sizes[index]) + ")";
}

void verify_extents(const std::vector<BufferUse>& buffers, const MemoryPlan& plan) {
  if (plan.offsets.size() != buffers.size() || plan.sizes.size() != buffers.size())
    throw Error("memory plan: " + std::to_string(plan.offsets.size()) + " offsets and " +
                std::to_string(plan.sizes.size()) + " sizes for " + std::to_string(buffers.size()) + " buffers");
  for (size_t index = 0; index < buffers.size(); ++index) {
    if (buffers[index].pinned) continue;
    if (plan.sizes[index] < buffers[index].bytes)
      throw Error("memory plan: " + buffer_name(index) + " gets " + std::to_string(plan.sizes[index]) +
                  " bytes of the " + std::to_string(buffers[index].bytes) + " it needs");
    if (plan.offsets[index] > plan.arena_bytes || plan.sizes[index] > plan.arena_bytes - plan.offsets[index])
      throw Error("memory plan: " + buffer_name(index) + " at " + byte_range(plan, index) + " runs past the arena of " +
                  std::to_string(plan.arena_bytes) + " bytes");
  }
}

bool bytes_overlap(const MemoryPlan& plan, size_t a, size_t b) {
  return plan.offsets[a] < plan.offsets[b] + plan.sizes[b] && plan.offsets[b] < plan.offsets[a] + plan.sizes[a];
}

// One works in place of the other, legally, from the same first byte.
bool legal_inplace_pair(const std::vector<BufferUse>& buffers, const HappensBefore& order, const MemoryPlan& plan,
                        size_t a, size_t b) {
  const auto is_inplace_of = [&](size_t user, size_t lender) {
    return buffers[user].inplace_of == static_cast<int>(lender) &&
           inplace_is_legal(buffers, static_cast<int>(user), order);
  };
  return plan.offsets[a] == plan.offsets[b] && (is_inplace_of(a, b) || is_inplace_of(b, a));
}

}  // namespace

void verify_memory_plan(const std::vector<BufferUse>& buffers, const HappensBefore& order, const MemoryPlan& plan) {
  validate_buffers(buffers, order);
  verify_extents(buffers, plan);
  for (size_t a = 0; a < buffers.size(); ++a) {
    if (buffers[a].pinned) continue;
    const Lifetime lifetime_a = lifetime_of(buffers[a]);
    for (size_t b = a + 1; b < buffers.size(); ++b) {
      if (buffers[b].pinned || !bytes_overlap(plan, a, b) || legal_inplace_pair(buffers, order, plan, a, b)) continue;
      if (lifetimes_overlap(lifetime_a, lifetime_of(buffers[b]), order))
        throw Error("memory plan: " + buffer_name(a) + " " + byte_range(plan, a) + " and " + buffer_name(b) + " " +
                    byte_range(plan, b) + " are live at once but share bytes");
    }
  }
}

}  // namespace kiln
