#include "memory/buffer_lifetime.hpp"

#include <algorithm>
#include <string>

#include "util/error.hpp"

namespace kiln {
namespace {

std::string buffer_name(int index) { return "memory plan: buffer " + std::to_string(index); }

void validate_layers(const BufferUse& buffer, int index, const HappensBefore& order) {
  if (buffer.producer < 0 || buffer.producer >= order.size())
    throw Error(buffer_name(index) + " has producer layer " + std::to_string(buffer.producer) + ", out of range");
  for (int consumer : buffer.consumers)
    if (consumer < 0 || consumer >= order.size() || !order.before(buffer.producer, consumer))
      throw Error(buffer_name(index) + " is read by layer " + std::to_string(consumer) +
                  ", which does not follow its producer layer " + std::to_string(buffer.producer));
  for (int co : buffer.co_producers)
    if (co < 0 || co >= order.size() || !order.before(co, buffer.producer))
      throw Error(buffer_name(index) + " is partly written by layer " + std::to_string(co) +
                  ", which does not precede its producer layer " + std::to_string(buffer.producer));
}

}  // namespace

Lifetime lifetime_of(const BufferUse& buffer) {
  Lifetime lifetime{buffer.producer, buffer.consumers, buffer.co_producers};
  lifetime.uses.push_back(buffer.producer);
  lifetime.uses.insert(lifetime.uses.end(), buffer.co_producers.begin(), buffer.co_producers.end());
  return lifetime;
}

Lifetime merge_lifetimes(const Lifetime& first, const Lifetime& second) {
  Lifetime merged = first;  // second's bytes are first's, handed on in place: the merged bytes start with first
  merged.uses.insert(merged.uses.end(), second.uses.begin(), second.uses.end());
  std::sort(merged.uses.begin(), merged.uses.end());
  merged.uses.erase(std::unique(merged.uses.begin(), merged.uses.end()), merged.uses.end());
  return merged;
}

bool ends_before(const Lifetime& lifetime, int layer, const HappensBefore& order) {
  return std::all_of(lifetime.uses.begin(), lifetime.uses.end(), [&](int use) { return order.before(use, layer); });
}

namespace {
// Every use of `lifetime` ends before any layer of `later` that may first touch its bytes starts.
bool ends_before_all(const Lifetime& lifetime, const Lifetime& later, const HappensBefore& order) {
  return ends_before(lifetime, later.start, order) &&
         std::all_of(later.starts.begin(), later.starts.end(), [&](int co) { return ends_before(lifetime, co, order); });
}
}  // namespace

bool lifetimes_overlap(const Lifetime& a, const Lifetime& b, const HappensBefore& order) {
  return !ends_before_all(a, b, order) && !ends_before_all(b, a, order);
}

bool inplace_is_legal(const std::vector<BufferUse>& buffers, int index, const HappensBefore& order) {
  const BufferUse& buffer = buffers[index];
  if (buffer.inplace_of < 0 || buffer.pinned) return false;
  const BufferUse& shared = buffers[buffer.inplace_of];
  const int writer = buffer.producer;
  const auto& readers = shared.consumers;
  if (shared.pinned || std::find(readers.begin(), readers.end(), writer) == readers.end()) return false;
  const Lifetime earlier = lifetime_of(shared);
  return std::all_of(earlier.uses.begin(), earlier.uses.end(),
                     [&](int use) { return use == writer || order.before(use, writer); });
}

void validate_buffers(const std::vector<BufferUse>& buffers, const HappensBefore& order) {
  for (size_t index = 0; index < buffers.size(); ++index) {
    const BufferUse& buffer = buffers[index];
    if (buffer.inplace_of != -1 &&
        (buffer.inplace_of < 0 || static_cast<size_t>(buffer.inplace_of) >= buffers.size() ||
         static_cast<size_t>(buffer.inplace_of) == index))
      throw Error(buffer_name(static_cast<int>(index)) + " is in place of " + std::to_string(buffer.inplace_of) +
                  ", which is not another buffer");
    if (!buffer.pinned) validate_layers(buffer, static_cast<int>(index), order);
  }
}

}  // namespace kiln
