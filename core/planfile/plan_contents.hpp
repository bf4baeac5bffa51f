// What a plan file holds: an optimized graph with its chosen kernels, memory plan, schedule and weights, as plain
// data. Everything refers to everything else by index (no pointers), so a plan is written and read without a
// Graph and the runtime can load it without the ONNX model. docs/plan-format.md describes the bytes.
#ifndef KILN_CORE_PLAN_CONTENTS_HPP
#define KILN_CORE_PLAN_CONTENTS_HPP

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/dtype.hpp"
#include "ir/quantization.hpp"

namespace kiln {

// A tensor's bytes with its type: dense row-major, little-endian, exactly dtype_size(dtype) x numel(dims) bytes.
struct PlanTensor {
  DataType dtype = KILN_DTYPE_UNDEFINED;
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// A plugin library the plan's kernels came from, as it was at build time, so a loader can say exactly which
// library and version it needs.
struct PlanPlugin {
  std::string name;          // kiln_plugin_desc.name, e.g. "kiln.cpu_reference"
  std::string version;       // kiln_plugin_desc.version, e.g. "1.2.0"
  uint32_t abi_version = 0;  // kiln_plugin_desc.abi_version (KILN_MAKE_ABI_VERSION)
  std::string library;       // the spec or path it was loaded from at build time
};

// Where a value's memory lives at run time.
enum class PlanPlacement : uint8_t {
  kArena = 0,     // [arena_offset, arena_offset + bytes) of the shared activation arena
  kExternal = 1,  // not in the arena: graph inputs and outputs (the caller's), constants (the weights), and values
                  // the builder could not bound (data-dependent shapes), allocated when produced
  kView = 2,      // part of another value (PlanValue::view), e.g. an input of an eliminated Concat
};

// How a kView value aliases another: its element (0,...,0) is at byte_offset into view_of's memory and
// consecutive elements of each dim are `strides` elements apart.
struct PlanView {
  int32_t view_of = -1;  // index into PlanContents::values
  uint64_t byte_offset = 0;
  std::vector<int64_t> strides;  // one per dim, in elements
};

struct PlanValue {
  std::string name;
  DataType dtype = KILN_DTYPE_UNDEFINED;
  bool has_shape = false;            // false: rank unknown (dims and symbols empty)
  std::vector<int64_t> dims;         // -1 where unknown
  std::vector<std::string> symbols;  // one per dim: its symbolic name ("batch") or ""
  bool is_graph_input = false;
  bool is_graph_output = false;
  int32_t constant = -1;  // index into PlanContents::weights, -1 for a computed value
  PlanPlacement placement = PlanPlacement::kExternal;
  uint64_t arena_offset = 0;  // kArena only
  uint64_t bytes = 0;         // kArena and kView: the bytes reserved (for the largest profile shape)
  PlanView view;              // kView only
  kiln_layout layout = KILN_LAYOUT_LINEAR;  // how its bytes are ordered (NHWC: channels-last)
  kiln_device device = KILN_DEVICE_CPU;     // where it lives; kArena values: in that device's arena
  std::optional<Quantization> quant;        // (format 3) an INT8 value's scales and zero points
};

// ir/attribute.hpp's Attribute with a PlanTensor. KILN_ATTR_GRAPH keeps only its presence: subgraphs are not
// readable through the plugin ABI, so no kernel can need their contents.
struct PlanAttribute {
  kiln_attr_kind kind = KILN_ATTR_NONE;
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;
  PlanTensor tensor;
};

// A node as the model (or a pass) wrote it. A fused node's `pattern` lists the original nodes it stands for,
// recursively; their inputs and outputs may be -1 where the value was internal to the fusion and is gone.
struct PlanOp {
  std::string name;
  std::string op_type;
  std::string domain;  // "" for ai.onnx
  int32_t opset = 0;
  std::vector<int32_t> inputs;  // indices into PlanContents::values; -1 for an omitted optional one
  std::vector<int32_t> outputs;
  std::map<std::string, PlanAttribute> attributes;
  std::vector<PlanOp> pattern;
};

// A node of the execution order: the op and the kernel chosen to run it.
struct PlanNode {
  PlanOp op;
  std::string kernel;   // kiln_kernel_desc.name
  int32_t plugin = -1;  // index into PlanContents::plugins; -1 for the core's own layers (device copies)
  // kiln_kernel_desc.serialize's bytes; empty when the kernel cannot serialize, and the runtime calls create.
  std::vector<uint8_t> state;
  uint32_t stream = 0;  // < PlanSchedule::num_streams
  uint64_t workspace_bytes = 0;
  std::vector<std::string> notes;  // what the kernel said it decided when created (node_note), for inspect
};

// Before running node `layer` (an index into PlanContents::nodes), its stream waits for node `waits_for`, an
// earlier node on another stream.
struct PlanWait {
  uint32_t layer = 0;
  uint32_t waits_for = 0;
};

struct PlanSchedule {
  uint32_t num_streams = 1;
  std::vector<PlanWait> waits;
};

struct PlanMemory {
  uint64_t arena_bytes = 0;
  uint64_t naive_bytes = 0;  // one buffer per value, for `kiln inspect` to report the saving
  uint64_t alignment = 64;   // a power of two; every kArena offset is a multiple of it
  uint64_t device_arena_bytes = 0;  // the device arena, for values on a device (0 for a CPU plan)
};

// The shapes a graph input may take: min <= opt <= max per dim.
struct PlanProfileInput {
  int32_t value = -1;  // index into PlanContents::values, a graph input
  std::vector<int64_t> min;
  std::vector<int64_t> opt;
  std::vector<int64_t> max;
};

struct PlanContents {
  std::string kiln_version;  // the kiln that built the plan
  std::vector<PlanPlugin> plugins;
  std::vector<PlanValue> values;
  std::vector<PlanNode> nodes;  // in execution order
  PlanSchedule schedule;
  PlanMemory memory;
  std::vector<PlanProfileInput> profile;
  std::vector<PlanTensor> weights;                // stored at 64-byte aligned file offsets
  std::map<std::string, std::string> build_info;  // free-form, for `kiln inspect`
  std::map<std::string, std::string> tuning;      // the timing-cache entries the kernels used: a load re-times nothing
};

}  // namespace kiln

#endif  // KILN_CORE_PLAN_CONTENTS_HPP
