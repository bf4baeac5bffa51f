// Plan files: `kiln build` writes an optimized graph with its kernels, memory plan, schedule and weights, and
// the runtime loads it without the ONNX model. The reader trusts nothing: every length, count, index and size
// is checked before use, and a bad file is a kiln::Error naming the file, section and field.
#ifndef KILN_CORE_PLAN_FILE_HPP
#define KILN_CORE_PLAN_FILE_HPP

#include <string>

#include "planfile/plan_contents.hpp"

namespace kiln {

// The file's bytes. Writes what it is given; parse_plan is where a plan's rules are checked.
std::string serialize_plan(const PlanContents& plan);
// Throws kiln::Error naming `path` when it cannot be written completely.
void write_plan_file(const PlanContents& plan, const std::string& path);

// `source_name` names the bytes in messages ("model.plan: checksum mismatch: ...").
PlanContents parse_plan(const std::string& bytes, const std::string& source_name);
PlanContents read_plan_file(const std::string& path);

}  // namespace kiln

#endif  // KILN_CORE_PLAN_FILE_HPP
