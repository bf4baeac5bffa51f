// Test plugins that misbehave on purpose, one per KILN_TEST_VARIANT:
//   1 wrong_abi: declares ABI 2.0;  2 throwing: execute throws a C++ exception, and another kernel returns an
//   error status;  3 failing_entry: the entry point fails;  4 duplicate: registers kiln.cpu_ref.Relu again;
//   5 not_a_plugin: exports no entry symbol at all;  6 short_desc: declares ABI 1.4 but a descriptor of 1.3's size,
//   past which plan_compat_min holds a string that is no version (a core reading beyond struct_size refuses it).
#include <cstddef>
#include <stdexcept>

#include "kiln/plugin.hpp"

#if KILN_TEST_VARIANT != 5
namespace {

struct Thrower {
  static kiln::KernelSpec spec() {
    kiln::KernelSpec s;
    s.name = KILN_TEST_VARIANT == 4 ? "kiln.cpu_ref.Relu" : "kiln.test.thrower";
    s.domain = KILN_TEST_VARIANT == 4 ? "" : "kiln.test";
    s.op_type = KILN_TEST_VARIANT == 4 ? "Relu" : "Throw";
    s.inputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    s.outputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    return s;
  }
  explicit Thrower(const kiln::Node&) {}
  static void infer(const kiln::Node&, kiln::InferContext& ctx) { ctx.set_output(0, ctx.input(0).dtype, ctx.input(0).dims); }
  void execute(kiln::ExecContext&) { throw std::runtime_error("the thrower kernel threw on purpose"); }
};

struct Failer {
  static kiln::KernelSpec spec() {
    kiln::KernelSpec s = Thrower::spec();
    s.name = "kiln.test.failer";
    s.op_type = "Fail";
    return s;
  }
  explicit Failer(const kiln::Node&) {}
  static void infer(const kiln::Node& n, kiln::InferContext& ctx) { Thrower::infer(n, ctx); }
  void execute(kiln::ExecContext&) { kiln::fail_invalid("the failer kernel reports an error on purpose"); }
};

const kiln::KernelFactory kKernels[] = {&kiln::describe<Thrower>, &kiln::describe<Failer>};

}  // namespace

extern "C" KILN_PLUGIN_EXPORT const kiln_plugin_desc* kiln_plugin_entry(const kiln_host_api* host) {
  if (KILN_TEST_VARIANT == 3) {
    host->set_error(KILN_ERROR_INTERNAL, "this plugin's entry fails on purpose");
    return nullptr;
  }
  static kiln_plugin_desc desc = *kiln::define_plugin(host, "kiln.test.misbehaving", "0.0.1", "tests", kKernels);
  if (KILN_TEST_VARIANT == 1) desc.abi_version = KILN_MAKE_ABI_VERSION(2, 0);
  if (KILN_TEST_VARIANT == 6) {
    desc.struct_size = offsetof(kiln_plugin_desc, plan_compat_min);
    desc.plan_compat_min = "not a version";
  }
  return &desc;
}
#else
extern "C" KILN_PLUGIN_EXPORT int not_the_entry_symbol() { return 42; }
#endif
