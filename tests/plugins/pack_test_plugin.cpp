// One source, several small packs, for the tests of packs side by side (tests/unit/packs_side_by_side_test.cpp,
// tests/cli/plan_cli.sh). KILN_TEST_PACK names the pack (kiln.test.pack_<pack>), KILN_TEST_OP the op its one
// kernel implements, KILN_TEST_FACTOR what it multiplies by, so an output says which pack's kernel ran:
//   kiln.test.pack_<pack>.<op>   kiln.test::<op>, y = factor * x (float32, any shape); a NaN in x makes it throw
//                                a C++ exception, which the SDK turns into an error status inside the library.
// The description names the compiler that built the library (two packs of one process may come from two).
#include <cmath>
#include <stdexcept>

#include "kiln/plugin.hpp"

#if !defined(KILN_TEST_PACK) || !defined(KILN_TEST_OP) || !defined(KILN_TEST_FACTOR)
#error "define KILN_TEST_PACK, KILN_TEST_OP and KILN_TEST_FACTOR"
#endif

#if defined(__clang__)
#define KILN_TEST_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define KILN_TEST_COMPILER "GCC " __VERSION__
#else
#define KILN_TEST_COMPILER "an unknown compiler"
#endif
#define KILN_TEST_TEXT(x) #x
#define KILN_TEST_STRING(x) KILN_TEST_TEXT(x)

namespace {

struct Multiply {
  static kiln::KernelSpec spec() {
    kiln::KernelSpec s;
    s.name = "kiln.test.pack_" KILN_TEST_PACK "." KILN_TEST_OP;
    s.domain = "kiln.test";
    s.op_type = KILN_TEST_OP;
    s.inputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    s.outputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    return s;
  }
  explicit Multiply(const kiln::Node&) {}
  static void infer(const kiln::Node&, kiln::InferContext& ctx) {
    ctx.set_output(0, ctx.input(0).dtype, ctx.input(0).dims);
  }
  void execute(kiln::ExecContext& ctx) {
    const float* x = ctx.input(0).data<float>();
    float* y = ctx.output(0).data<float>();
    for (int64_t i = 0; i < ctx.output(0).numel(); ++i) {
      if (std::isnan(x[i])) throw std::runtime_error("pack " KILN_TEST_PACK " (" KILN_TEST_COMPILER ") got a NaN");
      y[i] = static_cast<float>(KILN_TEST_FACTOR) * x[i];
    }
  }
};

const kiln::KernelFactory kKernels[] = {&kiln::describe<Multiply>};

}  // namespace

KILN_DEFINE_PLUGIN("kiln.test.pack_" KILN_TEST_PACK, "1.0.0",
                   "multiplies by " KILN_TEST_STRING(KILN_TEST_FACTOR) ", built with " KILN_TEST_COMPILER, kKernels)
