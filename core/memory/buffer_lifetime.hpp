// When a buffer's bytes are in use, as a relation on layers rather than an index interval: with several
// streams two layers may be unordered, and then so are the buffers they touch.
#ifndef KILN_CORE_BUFFER_LIFETIME_HPP
#define KILN_CORE_BUFFER_LIFETIME_HPP

#include <vector>

#include "memory/memory_plan.hpp"
#include "schedule/happens_before.hpp"

namespace kiln {

struct Lifetime {
  int start = 0;          // the layer that writes the bytes; it happens before every other use but co-producers
  std::vector<int> uses;  // every layer that writes or reads the bytes, start included
  std::vector<int> starts;  // the co-producers: layers before `start` that may first touch the bytes
};

Lifetime lifetime_of(const BufferUse& buffer);
// The bytes of `first` then `second`, one after the other in the same place (an in-place pair).
Lifetime merge_lifetimes(const Lifetime& first, const Lifetime& second);

// Every use ends before `layer` starts, in every execution.
bool ends_before(const Lifetime& lifetime, int layer, const HappensBefore& order);
// Some execution may touch both at once: neither ends before the other starts. Such buffers may not share bytes.
bool lifetimes_overlap(const Lifetime& a, const Lifetime& b, const HappensBefore& order);

// buffers[index] may take the bytes of buffers[index].inplace_of: neither is pinned, its producer reads that
// buffer, and every other use of that buffer happens before its producer.
bool inplace_is_legal(const std::vector<BufferUse>& buffers, int index, const HappensBefore& order);

// Throws kiln::Error naming the buffer if a planned buffer's layers are out of the order's range, a consumer
// does not follow the producer, or inplace_of is not another buffer.
void validate_buffers(const std::vector<BufferUse>& buffers, const HappensBefore& order);

}  // namespace kiln

#endif  // KILN_CORE_BUFFER_LIFETIME_HPP
