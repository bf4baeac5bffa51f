// Constants of the plan file's byte layout, shared by the writer and the reader (docs/plan-format.md).
#ifndef KILN_CORE_PLAN_FORMAT_HPP
#define KILN_CORE_PLAN_FORMAT_HPP

#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln {
namespace planfile {

// The first 8 bytes of every plan.
constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'P', 'L', 'A', 'N'};

// Bumped whenever a change would make an older reader misread a plan. A reader refuses any newer version
// (it cannot know what changed), so a kiln only loads plans its own or an older release wrote.
constexpr uint32_t kFormatVersion = 3;  // 2: layouts, devices, kernel notes, device arena; 3: quantization

// The fixed header: magic, format version, reserved flags, payload length, payload checksum. Its fields are
// checked one by one before the checksum, so a newer format or a file that is not a plan gets its own message.
constexpr size_t kHeaderBytes = 32;
constexpr size_t kFormatVersionOffset = 8;
constexpr size_t kFlagsOffset = 12;
constexpr size_t kPayloadLengthOffset = 16;
constexpr size_t kChecksumOffset = 24;

// Weights start at multiples of this file offset, so a later reader can mmap them and hand kernels aligned
// pointers (the plugin ABI promises 64-byte aligned tensors).
constexpr size_t kWeightAlignment = 64;

// Fused patterns nest (a fusion of fusions), but not deeply; the cap keeps a hostile file from recursing the
// reader off its stack.
constexpr int kMaxPatternDepth = 16;

// Sections follow the kiln version string in this order, each framed as tag (u32) + length (u64) so the reader
// can name the section at fault and check that each one is consumed exactly. Weights come last so their data
// can be aligned against file offsets without moving anything else.
enum SectionTag : uint32_t {
  kPluginsTag = 0x47554C50,    // "PLUG"
  kValuesTag = 0x554C4156,     // "VALU"
  kNodesTag = 0x45444F4E,      // "NODE"
  kScheduleTag = 0x44484353,   // "SCHD"
  kMemoryTag = 0x4F4D454D,     // "MEMO"
  kProfileTag = 0x464F5250,    // "PROF"
  kBuildInfoTag = 0x464E4942,  // "BINF"
  kTuningTag = 0x454E5554,     // "TUNE"
  kWeightsTag = 0x54484757,    // "WGHT"
};
constexpr size_t kSectionFrameBytes = 12;

// The tag's four characters ("NODE"), or its hex value when they are not printable.
std::string section_name(uint32_t tag);

// Bits of a value record's flags byte; any other bit set is an error.
constexpr uint8_t kValueGraphInput = 1;
constexpr uint8_t kValueGraphOutput = 2;
constexpr uint8_t kValueHasShape = 4;
constexpr uint8_t kValueQuantized = 8;  // (3) quantization parameters follow the value's device
constexpr uint8_t kValueFlagsKnown = kValueGraphInput | kValueGraphOutput | kValueHasShape | kValueQuantized;

}  // namespace planfile
}  // namespace kiln

#endif  // KILN_CORE_PLAN_FORMAT_HPP
