// Readers of each section's contents (the bytes inside a section frame), in docs/plan-format.md's field order.
// Each checks what it can see alone: lengths, counts, known dtypes and enum values, dims, tensor byte sizes,
// weight alignment. Rules between sections (indices, arena ranges) are plan_validate.hpp's.
#ifndef KILN_CORE_PLAN_SECTIONS_HPP
#define KILN_CORE_PLAN_SECTIONS_HPP

#include <map>
#include <string>
#include <vector>

#include "planfile/byte_reader.hpp"
#include "planfile/plan_contents.hpp"

namespace kiln {
namespace planfile {

std::vector<PlanPlugin> read_plugins(ByteReader& r);
std::vector<PlanValue> read_values(ByteReader& r);
std::vector<PlanNode> read_nodes(ByteReader& r);
PlanSchedule read_schedule(ByteReader& r);
PlanMemory read_memory(ByteReader& r);
std::vector<PlanProfileInput> read_profile(ByteReader& r);
// A list of unique string keys with string values (build info, timing-cache entries).
std::map<std::string, std::string> read_text_map(ByteReader& r, const char* what);
std::vector<PlanTensor> read_weights(ByteReader& r);

}  // namespace planfile
}  // namespace kiln

#endif  // KILN_CORE_PLAN_SECTIONS_HPP
