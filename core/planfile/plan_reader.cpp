// parse_plan and read_plan_file: the header, checked field by field (magic, then format version, so a plan from
// a newer kiln says so instead of failing its checksum), the checksum, then each section in its frame, then the
// rules between sections.
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "planfile/byte_reader.hpp"
#include "planfile/checksum.hpp"
#include "planfile/plan_file.hpp"
#include "planfile/plan_format.hpp"
#include "planfile/plan_parse.hpp"
#include "planfile/plan_sections.hpp"
#include "planfile/plan_validate.hpp"
#include "util/error.hpp"

namespace kiln {
namespace planfile {

namespace {

std::string hex64(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%016" PRIx64, value);
  return text;
}

// Checks the fixed header, leaving `r` at the payload. Without `verify_checksum` the payload is taken to
// be the rest of the bytes, as the fuzzer's mutations change lengths as often as contents.
void read_header(ByteReader& r, const std::string& bytes, const std::string& source, bool verify_checksum) {
  const size_t magic_bytes = std::min(bytes.size(), sizeof kMagic);
  if (magic_bytes == 0 || std::memcmp(bytes.data(), kMagic, magic_bytes) != 0) {
    throw Error(source + ": not a kiln plan (bad magic)");
  }
  ByteReader::Context context(r, "header");
  r.bytes(sizeof kMagic, "magic");
  const uint32_t version = r.u32("format version");
  if (version > kFormatVersion) {
    throw Error(source + ": plan format " + std::to_string(version) + " is newer than this kiln reads (" +
                std::to_string(kFormatVersion) + "); rebuild the plan or upgrade kiln");
  }
  if (version == 0) r.fail("format version", "0 is not a plan format");
  if (version < kFormatVersion)
    throw Error(source + ": plan format " + std::to_string(version) + " was written by an older kiln (this one reads " +
                std::to_string(kFormatVersion) + "); rebuild the plan from its model");
  const uint32_t flags = r.u32("flags");
  if (flags != 0) r.fail("flags", "unknown flags " + hex64(flags) + " (format 1 defines none)");
  const uint64_t payload_length = r.u64("payload length");
  const uint64_t stored_checksum = r.u64("checksum");
  if (!verify_checksum) return;
  if (payload_length != r.remaining()) {
    if (payload_length > r.remaining()) {
      throw Error(source + ": truncated: the header says the payload is " + std::to_string(payload_length) +
                  " bytes but the file ends " + std::to_string(r.remaining()) + " bytes after the header");
    }
    throw Error(source + ": " + std::to_string(r.remaining() - payload_length) +
                " bytes of unexpected data after the payload (the header says it is " + std::to_string(payload_length) +
                " bytes)");
  }
  const uint64_t computed = fnv1a64(bytes.data() + kHeaderBytes, payload_length);
  if (computed != stored_checksum) {
    throw Error(source + ": checksum mismatch: the file is corrupt (stored " + hex64(stored_checksum) + ", computed " +
                hex64(computed) + ")");
  }
}

// Reads one section's frame (tag, length) and its contents with `read_contents`, which must consume exactly
// the length the frame gives: reads stop at the section's end, and bytes left over are an error. When the
// length runs past the end of the file, the records are read up to the file's end first, so a truncated file
// names the record it cut through rather than just the frame.
template <class ReadContents>
auto read_section(ByteReader& r, uint32_t tag, ReadContents read_contents) {
  const std::string name = section_name(tag);
  uint64_t length = 0;
  {
    ByteReader::Context context(r, name + " section");
    const uint32_t found = r.u32("tag");
    if (found != tag) r.fail("tag", "expected '" + name + "' but found '" + section_name(found) + "'");
    length = r.u64("length");
  }
  const bool past_end = length > r.remaining();
  const size_t end = past_end ? r.offset() + r.remaining() : r.offset() + static_cast<size_t>(length);
  const size_t begin = r.offset();
  ByteReader::Limit limit(r, end, past_end ? "the file" : "the " + name + " section");
  auto contents = read_contents(r);
  if (past_end) {
    r.fail(name + " section length: " + std::to_string(length) + " bytes from offset " + std::to_string(begin) +
           " but the file ends at " + std::to_string(end));
  }
  if (r.remaining() != 0) {
    r.fail(name + " section has " + std::to_string(r.remaining()) + " bytes after its last record");
  }
  return contents;
}

}  // namespace

PlanContents parse_plan(const std::string& bytes, const std::string& source_name, const ParseOptions& options) {
  ByteReader r(bytes, source_name);
  read_header(r, bytes, source_name, options.verify_checksum);
  PlanContents plan;
  {
    ByteReader::Context context(r, "header");
    plan.kiln_version = r.string("kiln version");
  }
  plan.plugins = read_section(r, kPluginsTag, read_plugins);
  plan.values = read_section(r, kValuesTag, read_values);
  plan.nodes = read_section(r, kNodesTag, read_nodes);
  plan.schedule = read_section(r, kScheduleTag, read_schedule);
  plan.memory = read_section(r, kMemoryTag, read_memory);
  plan.profile = read_section(r, kProfileTag, read_profile);
  plan.build_info = read_section(r, kBuildInfoTag, [](ByteReader& b) { return read_text_map(b, "build info"); });
  plan.tuning = read_section(r, kTuningTag, [](ByteReader& b) { return read_text_map(b, "tuning"); });
  plan.weights = read_section(r, kWeightsTag, read_weights);
  if (r.remaining() != 0) r.fail(std::to_string(r.remaining()) + " bytes of unexpected data after the last section");
  validate_plan(plan, source_name);
  return plan;
}

}  // namespace planfile

PlanContents parse_plan(const std::string& bytes, const std::string& source_name) {
  return planfile::parse_plan(bytes, source_name, planfile::ParseOptions{});
}

PlanContents read_plan_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the plan file: " + std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(path + ": reading the plan file failed");
  return parse_plan(bytes, path);
}

}  // namespace kiln
