// One plugin name built as several versions, for the plan-compatibility tests (tests/unit/plan_compat_test.cpp,
// tests/cli/plan_cli.sh). KILN_TEST_VERSION is the pack's version; KILN_TEST_PLANS_FROM, when defined, the
// oldest version whose plans it runs (ABI 1.4 plan_compat_min); KILN_TEST_STATE its serialized state format.
//   kiln.test.versioned.Scale   kiln.test::Scale, y = factor * x (float32, any shape), factor from the float
//                               attribute 'factor' (default 2), kept as the kernel's serialized state: in format
//                               1 a float32 (4 bytes), in format 2 a float64 (8 bytes). A state of the other
//                               format is refused, so a range that let a plan through wrongly fails the load.
#include <cstring>
#include <string>

#include "kiln/plugin.hpp"

#ifndef KILN_TEST_VERSION
#error "define KILN_TEST_VERSION"
#endif
#ifndef KILN_TEST_STATE
#define KILN_TEST_STATE 1
#endif

namespace {

#if KILN_TEST_STATE == 1
using Stored = float;
#else
using Stored = double;
#endif

struct Scale {
  static kiln::KernelSpec spec() {
    kiln::KernelSpec s;
    s.name = "kiln.test.versioned.Scale";
    s.domain = "kiln.test";
    s.op_type = "Scale";
    s.inputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    s.outputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    return s;
  }
  explicit Scale(const kiln::Node& node) : factor(node.attr_float("factor", 2.0f)) {}
  Scale(const kiln::Node&, const uint8_t* bytes, size_t length) {
    if (length != sizeof(Stored))
      kiln::fail_invalid("serialized state of " + std::to_string(length) + " bytes; version " KILN_TEST_VERSION
                         " stores " + std::to_string(sizeof(Stored)));
    Stored stored;
    std::memcpy(&stored, bytes, sizeof stored);
    factor = static_cast<float>(stored);
  }
  std::vector<uint8_t> serialize() const {
    const Stored stored = factor;
    std::vector<uint8_t> bytes(sizeof stored);
    std::memcpy(bytes.data(), &stored, sizeof stored);
    return bytes;
  }
  static void infer(const kiln::Node&, kiln::InferContext& ctx) {
    ctx.set_output(0, ctx.input(0).dtype, ctx.input(0).dims);
  }
  void execute(kiln::ExecContext& ctx) {
    const float* x = ctx.input(0).data<float>();
    float* y = ctx.output(0).data<float>();
    for (int64_t i = 0; i < ctx.output(0).numel(); ++i) y[i] = factor * x[i];
  }
  float factor;
};

const kiln::KernelFactory kKernels[] = {&kiln::describe<Scale>};

}  // namespace

#ifdef KILN_TEST_PLANS_FROM
KILN_DEFINE_PLUGIN_COMPAT("kiln.test.versioned", KILN_TEST_VERSION, KILN_TEST_PLANS_FROM,
                          "one kernel, built as several versions for the plan tests", kKernels)
#else
KILN_DEFINE_PLUGIN("kiln.test.versioned", KILN_TEST_VERSION, "one kernel, built as several versions for the plan tests",
                   kKernels)
#endif
