// The engine's device path, on the CPU: the fake device plugin (tests/plugins/fake_device_plugin.cpp) stands in
// for the CUDA pack, with memory it can tell from host memory, streams, events and graph capture. Hand-built
// graphs run with device "cuda" (fake kernels first, the reference pack as the fallback) and are compared with
// the same graph on the reference pack alone. Covered: copies at device borders, eager / captured / replayed
// runs, FP16 with Casts and NHWC storage, per-layer precision, host layers in the middle, two streams, device
// I/O, concurrent runs, poisoned outputs, device memory released, failures mid-run and mid-capture, profiles
// with several shapes, the timing cache. Each test runs twice: with the fake device running work as it is
// enqueued, and with it deferring work until something waits for it (where a missing wait, join or
// synchronize shows).
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "builder/builder.hpp"
#include "builder/plan_export.hpp"
#include "pass_test_support.hpp"
#include "planfile/plan_file.hpp"
#include "runtime/plan_import.hpp"
#include "plugin/host_api.hpp"
#include "runtime/engine.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

using namespace kiln::testing;

// The fake device's counters, read from the loaded plugin. The library is held open here, so that its
// counters and allocation registry outlive the registries that tests make and drop.
class FakeDevice {
 public:
  FakeDevice() {
    handle_ = dlopen(path().c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw Error(path() + ": " + dlerror());
  }
  static std::string path() { return test_plugin("kiln_test_fake_device"); }

  long kernel_runs() const { return call("fake_device_kernel_runs"); }
  long work_runs() const { return call("fake_device_work_runs"); }
  long graph_launches() const { return call("fake_device_graph_launches"); }
  long captures() const { return call("fake_device_captures"); }
  long live_allocations() const { return call("fake_device_live_allocations"); }
  long live_host_allocations() const { return call("fake_device_live_host_allocations"); }
  long errors() const { return call("fake_device_errors"); }
  long copies(kiln_copy_direction direction) const {
    return reinterpret_cast<long (*)(int)>(symbol("fake_device_copies"))(direction);
  }
  void set_deferred(bool on) const { reinterpret_cast<void (*)(int)>(symbol("fake_device_set_deferred"))(on); }
  // After `successes` more kernel executions, one fails; -1 disarms.
  void fail_kernel_after(long successes) const {
    reinterpret_cast<void (*)(long)>(symbol("fake_device_fail_kernel_after"))(successes);
  }

 private:
  void* symbol(const char* name) const {
    void* f = dlsym(handle_, name);
    if (!f) throw Error(std::string("the fake device exports no ") + name);
    return f;
  }
  long call(const char* name) const { return reinterpret_cast<long (*)()>(symbol(name))(); }
  void* handle_ = nullptr;
};

const FakeDevice& fake() {
  static const FakeDevice device;
  return device;
}

// What the counters say at one moment; differences tell what a call did.
struct Counts {
  long kernel_runs, work_runs, graph_launches, captures, copies_in, copies_out;
  static Counts now() {
    const FakeDevice& f = fake();
    return {f.kernel_runs(),  f.work_runs(), f.graph_launches(), f.captures(),
            f.copies(KILN_COPY_HOST_TO_DEVICE), f.copies(KILN_COPY_DEVICE_TO_HOST)};
  }
  Counts since(const Counts& before) const {
    return {kernel_runs - before.kernel_runs, work_runs - before.work_runs, graph_launches - before.graph_launches,
            captures - before.captures, copies_in - before.copies_in, copies_out - before.copies_out};
  }
};

BuildConfig device_config(int streams = 1) {
  BuildConfig config;
  config.device = "cuda";
  config.streams = streams;
  config.kernels.push_back(
      KernelPreference{"*", {"kiln.fake.*", "kiln.cpu_ref.*"}, {SourceLocation{}, SourceLocation{}}, SourceLocation{}});
  return config;
}

BuildConfig fp16_config() {
  BuildConfig config = device_config();
  config.precision = "fp16";
  return config;
}

using GraphFactory = std::function<std::unique_ptr<Graph>()>;
using Results = std::map<std::string, Tensor>;

// x[2,3,4,5] -> Relu -> Add(per-channel bias) -> Softmax(last axis) -> y
std::unique_ptr<Graph> relu_add_softmax() {
  GraphBuilder g;
  Value* x = g.input("x", {2, 3, 4, 5});
  Value* bias = g.constant("bias", random_floats({1, 3, 1, 1}, 11));
  Value* r = g.op("Relu", {x}, "r");
  Value* a = g.op("Add", {r, bias}, "a");
  g.output(g.op("Softmax", {a}, "y"));
  return g.take();
}

// The same with Sigmoid, which the fake device lacks, between Relu and Add: the reference pack runs it.
std::unique_ptr<Graph> relu_sigmoid_add_softmax() {
  GraphBuilder g;
  Value* x = g.input("x", {2, 3, 4, 5});
  Value* bias = g.constant("bias", random_floats({1, 3, 1, 1}, 12));
  Value* r = g.op("Relu", {x}, "r");
  Value* s = g.op("Sigmoid", {r}, "s");
  Value* a = g.op("Add", {s, bias}, "a");
  g.output(g.op("Softmax", {a}, "y"));
  return g.take();
}

// Two independent branches of x, joined: Relu(x) + Relu(x + bias).
std::unique_ptr<Graph> two_branches() {
  GraphBuilder g;
  Value* x = g.input("x", {2, 3, 4, 5});
  Value* bias = g.constant("bias", random_floats({1, 3, 1, 1}, 13));
  Value* left = g.op("Relu", {x}, "left");
  Value* shifted = g.op("Add", {x, bias}, "shifted");
  Value* right = g.op("Relu", {shifted}, "right");
  g.output(g.op("Add", {left, right}, "y"));
  return g.take();
}

// Two independent branches, each ending in an output: Relu(x) and Relu(x + bias).
std::unique_ptr<Graph> two_branch_outputs() {
  GraphBuilder g;
  Value* x = g.input("x", {2, 3, 4, 5});
  Value* bias = g.constant("bias", random_floats({1, 3, 1, 1}, 25));
  g.output(g.op("Relu", {x}, "left"));
  Value* shifted = g.op("Add", {x, bias}, "shifted");
  g.output(g.op("Relu", {shifted}, "right"));
  return g.take();
}

// Host layers at both ends: x read by Sigmoid on the host and by Relu on the device; y written on the host.
std::unique_ptr<Graph> host_at_both_ends() {
  GraphBuilder g;
  Value* x = g.input("x", {2, 3, 4, 5});
  Value* r = g.op("Relu", {x}, "r");
  Value* s = g.op("Sigmoid", {x}, "s");
  Value* a = g.op("Add", {r, s}, "a");
  Value* p = g.op("Softmax", {a}, "p");
  g.output(g.op("Sigmoid", {p}, "y"));
  return g.take();
}

// Outputs no layer computes: the shape of x (folded to a constant) and x itself, beside a computed one.
std::unique_ptr<Graph> outputs_without_layers() {
  GraphBuilder g;
  Value* x = g.input("x", {2, 3, 4, 5});
  Value* r = g.op("Relu", {x}, "r");
  g.output(g.op("Softmax", {r}, "y"));
  g.output(g.op("Shape", {x}, "shape"));
  g.output(x);
  return g.take();
}

// Two outputs, the first finished long before the second: y1 = Relu(x), y2 = Relu(Softmax(y1 + bias)).
std::unique_ptr<Graph> early_and_late_outputs() {
  GraphBuilder g;
  Value* x = g.input("x", {2, 3, 4, 5});
  Value* bias = g.constant("bias", random_floats({1, 3, 1, 1}, 14));
  Value* y1 = g.op("Relu", {x}, "y1");
  g.output(y1);
  Value* a = g.op("Add", {y1, bias}, "a");
  Value* s = g.op("Softmax", {a}, "s");
  g.output(g.op("Relu", {s}, "y2"));
  return g.take();
}

// x[N,3,4,5] -> Add(bias) -> Softmax -> y, N from a profile.
std::unique_ptr<Graph> any_batch() {
  GraphBuilder g;
  Value* x = g.input("x", {-1, 3, 4, 5});
  Value* bias = g.constant("bias", random_floats({1, 3, 1, 1}, 15));
  Value* a = g.op("Add", {x, bias}, "a");
  g.output(g.op("Softmax", {a}, "y"));
  return g.take();
}

// The graph on the reference pack alone, on the CPU.
Results oracle(const GraphFactory& graph, const Results& inputs) {
  PluginRegistry registry;
  registry.load(reference_pack());
  const BuildConfig config;
  return Engine(graph(), registry, config).run(inputs);
}

size_t layers_running(const Engine& engine, const std::string& kernel) {
  size_t n = 0;
  for (const Layer& layer : engine.layers()) n += kernel == layer.selection.chosen->desc->name;
  return n;
}

const Node* node_of(const Engine& engine, const std::string& op) {
  for (const Layer& layer : engine.layers())
    if (layer.node->op_type == op) return layer.node;
  return nullptr;
}

std::vector<float> as_floats(const Tensor& t) {
  EXPECT_EQ(t.dtype(), KILN_DTYPE_FLOAT32);
  return std::vector<float>(t.as<float>(), t.as<float>() + t.numel());
}

void expect_near(const Results& expected, const Results& got, float tolerance, const std::string& what) {
  ASSERT_EQ(expected.size(), got.size()) << what;
  for (const auto& [name, want] : expected) {
    ASSERT_TRUE(got.count(name)) << what << ": no output " << name;
    const Tensor& have = got.at(name);
    ASSERT_EQ(have.dims(), want.dims()) << what << ": " << name;
    const std::vector<float> a = as_floats(want), b = as_floats(have);
    float worst = 0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::isnan(b[i]) ? INFINITY : std::max(worst, std::fabs(a[i] - b[i]));
    EXPECT_LE(worst, tolerance) << what << ": output " << name << " differs from the oracle";
  }
}

void expect_identical(const Results& a, const Results& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [name, t] : a) {
    ASSERT_TRUE(b.count(name)) << what;
    ASSERT_EQ(t.dims(), b.at(name).dims()) << what;
    EXPECT_EQ(std::memcmp(t.data(), b.at(name).data(), t.bytes()), 0) << what << ": output " << name << " changed";
  }
}

const float kFp32Tolerance = 1e-6f;
const float kFp16Tolerance = 5e-3f;  // softmax probabilities from float16 activations

// Loads the fake device and the reference pack; the parameter says whether the fake device defers its work.
class DeviceEngine : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    fake().set_deferred(GetParam());
    errors_before_ = fake().errors();
    allocations_before_ = fake().live_allocations();
    registry_.load(FakeDevice::path());
    registry_.load(reference_pack());
  }
  void TearDown() override {
    EXPECT_EQ(fake().errors(), errors_before_) << "the fake device saw misuse (see the log above)";
    fake().set_deferred(false);
  }

  // Runs `engine` `times` times on `inputs`, checking each result against the oracle and the first result.
  std::vector<Results> run_and_compare(const Engine& engine, const GraphFactory& graph, const Results& inputs,
                                       int times, float tolerance) {
    const Results expected = oracle(graph, inputs);
    std::vector<Results> all;
    for (int i = 0; i < times; ++i) {
      all.push_back(engine.run(inputs));
      expect_near(expected, all.back(), tolerance, "run " + std::to_string(i + 1));
      if (i > 0) expect_identical(all.front(), all.back(), "run " + std::to_string(i + 1));
    }
    return all;
  }

  PluginRegistry registry_;
  long errors_before_ = 0, allocations_before_ = 0;
};

INSTANTIATE_TEST_SUITE_P(FakeDevice, DeviceEngine, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Deferred" : "Immediate"; });

// (a) FP32: one copy in, one copy out, the body on the device; run 1 eager, run 2 captured, run 3 replayed.
TEST_P(DeviceEngine, Fp32ChainRunsEagerThenCapturesThenReplays) {
  const BuildConfig config = device_config();
  Engine engine(relu_add_softmax(), registry_, config);
  EXPECT_EQ(layers_running(engine, "kiln.core.CopyToDevice"), 1u);
  EXPECT_EQ(layers_running(engine, "kiln.core.CopyToHost"), 1u);
  EXPECT_EQ(layers_running(engine, "kiln.fake.Relu"), 1u);
  EXPECT_EQ(layers_running(engine, "kiln.fake.Add"), 1u);
  EXPECT_EQ(layers_running(engine, "kiln.fake.Softmax"), 1u);
  EXPECT_EQ(engine.layers().size(), 5u);
  EXPECT_TRUE(engine.graph_capturable());
  ASSERT_NE(engine.device_api(), nullptr);
  EXPECT_EQ(engine.device_api()->device, KILN_DEVICE_CUDA);

  const Results inputs = {{"x", random_floats({2, 3, 4, 5}, 1)}};
  const Results expected = oracle(relu_add_softmax, inputs);
  std::vector<Counts> steps;
  for (int i = 0; i < 3; ++i) {
    const Counts before = Counts::now();
    const Results got = engine.run(inputs);
    steps.push_back(Counts::now().since(before));
    expect_near(expected, got, kFp32Tolerance, "run " + std::to_string(i + 1));
  }
  // Eager: three kernels executed and run, nothing captured.
  EXPECT_EQ(steps[0].kernel_runs, 3);
  EXPECT_EQ(steps[0].captures, 0);
  EXPECT_EQ(steps[0].graph_launches, 0);
  // Capture: the kernels execute once more (into the graph), which is then launched.
  EXPECT_EQ(steps[1].kernel_runs, 3);
  EXPECT_EQ(steps[1].captures, 1);
  EXPECT_EQ(steps[1].graph_launches, 1);
  // Replay: no kernel executes; the graph's closures run inside one launch.
  EXPECT_EQ(steps[2].kernel_runs, 0);
  EXPECT_EQ(steps[2].captures, 0);
  EXPECT_EQ(steps[2].graph_launches, 1);
  EXPECT_GE(steps[2].work_runs, 3);
  for (const Counts& step : steps) {
    EXPECT_EQ(step.copies_in, 1);
    EXPECT_EQ(step.copies_out, 1);
  }
  run_and_compare(engine, relu_add_softmax, inputs, 3, kFp32Tolerance);  // and the same bytes every time
}

// (b) FP16: Relu and Add in float16, stored channels-last between them; Softmax, precision sensitive, stays
// float32 behind a Cast.
TEST_P(DeviceEngine, Fp16RunsHalfWhereKernelsAllowAndKeepsSoftmaxFp32) {
  const BuildConfig config = fp16_config();
  Engine engine(relu_add_softmax(), registry_, config);
  const Node* relu = node_of(engine, "Relu");
  const Node* add = node_of(engine, "Add");
  const Node* softmax = node_of(engine, "Softmax");
  ASSERT_TRUE(relu && add && softmax);
  EXPECT_EQ(relu->inputs[0]->dtype, KILN_DTYPE_FLOAT16);
  EXPECT_EQ(relu->outputs[0]->dtype, KILN_DTYPE_FLOAT16);
  EXPECT_EQ(add->outputs[0]->dtype, KILN_DTYPE_FLOAT16);
  EXPECT_EQ(add->inputs[1]->dtype, KILN_DTYPE_FLOAT16) << "the constant bias, converted for a float16 kernel";
  EXPECT_EQ(softmax->inputs[0]->dtype, KILN_DTYPE_FLOAT32);
  EXPECT_EQ(softmax->outputs[0]->dtype, KILN_DTYPE_FLOAT32);
  ASSERT_NE(softmax->inputs[0]->producer, nullptr);
  EXPECT_EQ(softmax->inputs[0]->producer->op_type, "Cast");
  // 4-D float16 values between fake kernels, one of which prefers NHWC, are stored channels-last.
  EXPECT_EQ(relu->inputs[0]->layout, KILN_LAYOUT_NHWC);
  EXPECT_EQ(relu->outputs[0]->layout, KILN_LAYOUT_NHWC);
  EXPECT_EQ(add->outputs[0]->layout, KILN_LAYOUT_NHWC);
  EXPECT_EQ(softmax->inputs[0]->layout, KILN_LAYOUT_LINEAR);  // float32
  EXPECT_EQ(layers_running(engine, "kiln.fake.Cast"), 2u);
  EXPECT_EQ(layers_running(engine, "kiln.core.CopyToDevice"), 1u);
  EXPECT_EQ(layers_running(engine, "kiln.core.CopyToHost"), 1u);
  EXPECT_TRUE(engine.graph_capturable());
  run_and_compare(engine, relu_add_softmax, {{"x", random_floats({2, 3, 4, 5}, 2)}}, 3, kFp16Tolerance);
}

// x[2,3,4,5] -> QuantizeLinear(scale 0.02, zero point int8 0) -> y int8: an INT8 first layer's quantized image.
std::unique_ptr<Graph> quantized_input() {
  GraphBuilder g;
  Value* x = g.input("x", {2, 3, 4, 5});
  Tensor scale(KILN_DTYPE_FLOAT32, {}), zero(KILN_DTYPE_INT8, {});
  *scale.as<float>() = 0.02f;
  *zero.as<int8_t>() = 0;
  g.output(g.op("QuantizeLinear", {x, g.constant("scale", scale), g.constant("zero", zero)}, "y"));
  return g.take();
}

// Quantizing the graph's float32 input in FP16 would be a Cast and a quantization, two passes and two roundings.
TEST_P(DeviceEngine, Fp16QuantizesAFloat32GraphInputWithoutACast) {
  const BuildConfig config = fp16_config();
  Engine engine(quantized_input(), registry_, config);
  const Node* quantize = node_of(engine, "QuantizeLinear");
  ASSERT_TRUE(quantize);
  EXPECT_EQ(quantize->inputs[0]->dtype, KILN_DTYPE_FLOAT32);
  EXPECT_TRUE(quantize->inputs[0]->producer == nullptr || quantize->inputs[0]->producer->op_type != "Cast");
  EXPECT_EQ(layers_running(engine, "kiln.fake.QuantizeLinear"), 1u);
  EXPECT_EQ(layers_running(engine, "kiln.fake.Cast"), 0u);
  const Results inputs = {{"x", random_floats({2, 3, 4, 5}, 4)}};
  const Tensor want = oracle(quantized_input, inputs).at("y"), got = engine.run(inputs).at("y");
  ASSERT_EQ(got.dtype(), KILN_DTYPE_INT8);
  ASSERT_EQ(want.dtype(), KILN_DTYPE_INT8);
  EXPECT_EQ(0, std::memcmp(got.as<int8_t>(), want.as<int8_t>(), want.bytes())) << "the integers of the quantized image";
}

TEST_P(DeviceEngine, LayerPrecisionsMakeSoftmaxFp16) {
  BuildConfig config = fp16_config();
  config.layer_precisions.push_back(LayerPrecision{"Softmax*", "fp16", {}});
  Engine engine(relu_add_softmax(), registry_, config);
  const Node* softmax = node_of(engine, "Softmax");
  ASSERT_NE(softmax, nullptr);
  EXPECT_EQ(softmax->inputs[0]->dtype, KILN_DTYPE_FLOAT16);
  EXPECT_EQ(softmax->outputs[0]->dtype, KILN_DTYPE_FLOAT16);
  EXPECT_EQ(softmax->inputs[0]->layout, KILN_LAYOUT_LINEAR) << "the fake Softmax takes no NHWC";
  EXPECT_EQ(softmax->inputs[0]->producer->op_type, "Add");
  run_and_compare(engine, relu_add_softmax, {{"x", random_floats({2, 3, 4, 5}, 3)}}, 3, kFp16Tolerance);
}

// An fp32 override beats `precision: fp16` for the node it names.
TEST_P(DeviceEngine, LayerPrecisionsKeepANodeFp32) {
  BuildConfig config = fp16_config();
  config.layer_precisions.push_back(LayerPrecision{"Relu_*", "fp32", {}});
  Engine engine(relu_add_softmax(), registry_, config);
  EXPECT_EQ(node_of(engine, "Relu")->outputs[0]->dtype, KILN_DTYPE_FLOAT32);
  EXPECT_EQ(node_of(engine, "Add")->outputs[0]->dtype, KILN_DTYPE_FLOAT16);
  run_and_compare(engine, relu_add_softmax, {{"x", random_floats({2, 3, 4, 5}, 4)}}, 3, kFp16Tolerance);
}

// (c) A host layer in the middle: copies to the host and back around it, and no graph capture.
TEST_P(DeviceEngine, AHostLayerInTheMiddleGetsCopiesAndNoCapture) {
  const BuildConfig config = device_config();
  Engine engine(relu_sigmoid_add_softmax(), registry_, config);
  EXPECT_EQ(layers_running(engine, "kiln.cpu_ref.Sigmoid"), 1u);
  EXPECT_EQ(layers_running(engine, "kiln.core.CopyToDevice"), 2u);  // x, and Sigmoid's result
  EXPECT_EQ(layers_running(engine, "kiln.core.CopyToHost"), 2u);    // Relu's result, and y
  EXPECT_FALSE(engine.graph_capturable());
  const Counts before = Counts::now();
  run_and_compare(engine, relu_sigmoid_add_softmax, {{"x", random_floats({2, 3, 4, 5}, 5)}}, 3, kFp32Tolerance);
  const Counts done = Counts::now().since(before);
  EXPECT_EQ(done.captures, 0);
  EXPECT_EQ(done.graph_launches, 0);
  EXPECT_EQ(done.kernel_runs, 3 * 3);
}

// The same in FP16: the Casts sit on the device, next to the copies.
TEST_P(DeviceEngine, AHostLayerInTheMiddleInFp16) {
  const BuildConfig config = fp16_config();
  Engine engine(relu_sigmoid_add_softmax(), registry_, config);
  EXPECT_EQ(layers_running(engine, "kiln.cpu_ref.Sigmoid"), 1u);
  EXPECT_FALSE(engine.graph_capturable());
  run_and_compare(engine, relu_sigmoid_add_softmax, {{"x", random_floats({2, 3, 4, 5}, 6)}}, 3, kFp16Tolerance);
}

// (d) Two streams for two independent branches: events order them, and both join the capture.
TEST_P(DeviceEngine, TwoStreamsRunIndependentBranches) {
  const BuildConfig config = device_config(2);
  Engine engine(two_branches(), registry_, config);
  ASSERT_EQ(engine.plan().schedule.num_streams, 2);
  EXPECT_FALSE(engine.plan().schedule.waits.empty());
  EXPECT_TRUE(engine.graph_capturable());
  const Counts before = Counts::now();
  run_and_compare(engine, two_branches, {{"x", random_floats({2, 3, 4, 5}, 7)}}, 3, kFp32Tolerance);
  const Counts done = Counts::now().since(before);
  EXPECT_EQ(done.captures, 1);
  EXPECT_EQ(done.graph_launches, 2);
}

// Nothing on stream 0 reads the second stream's result: only the join before the copies out orders them.
TEST_P(DeviceEngine, TwoStreamsEachEndingInAnOutput) {
  const BuildConfig config = device_config(2);
  Engine engine(two_branch_outputs(), registry_, config);
  ASSERT_EQ(engine.plan().schedule.num_streams, 2);
  EXPECT_EQ(layers_running(engine, "kiln.core.CopyToHost"), 2u);
  EXPECT_TRUE(engine.graph_capturable());
  run_and_compare(engine, two_branch_outputs, {{"x", random_floats({2, 3, 4, 5}, 26)}}, 3, kFp32Tolerance);
}

TEST_P(DeviceEngine, TwoStreamsInFp16) {
  BuildConfig config = device_config(2);
  config.precision = "fp16";
  Engine engine(two_branches(), registry_, config);
  EXPECT_EQ(engine.plan().schedule.num_streams, 2);
  run_and_compare(engine, two_branches, {{"x", random_floats({2, 3, 4, 5}, 8)}}, 3, kFp16Tolerance);
}

// (e) Device I/O: the caller's device buffers in and out, eager, captured and replayed.
TEST_P(DeviceEngine, RunDeviceWritesTheBoundOutputBuffer) {
  const BuildConfig config = device_config();
  const Tensor x = random_floats({2, 3, 4, 5}, 9);
  const Tensor expected = Engine(relu_add_softmax(), registry_, config).run({{"x", x}}).at("y");
  Engine engine(relu_add_softmax(), registry_, config);
  const kiln_device_api* api = engine.device_api();
  ASSERT_NE(api, nullptr);
  void* in = nullptr;
  void* out = nullptr;
  ASSERT_EQ(api->malloc(x.bytes(), &in), KILN_OK);
  ASSERT_EQ(api->malloc(expected.bytes(), &out), KILN_OK);
  ASSERT_EQ(api->copy_async(in, x.data(), x.bytes(), KILN_COPY_HOST_TO_DEVICE, nullptr), KILN_OK);
  ASSERT_EQ(api->stream_synchronize(nullptr), KILN_OK);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(api->fill_async(out, 0, expected.bytes(), nullptr), KILN_OK);
    const Counts before = Counts::now();
    engine.run_device({{"x", {in, x.dims()}}}, {{"y", {out, {}}}});
    const Counts done = Counts::now().since(before);
    EXPECT_EQ(done.captures, i == 1 ? 1 : 0) << "run " << i + 1;
    EXPECT_EQ(done.copies_in, 0) << "run " << i + 1 << ": device I/O copies nothing from the host";
    EXPECT_EQ(done.copies_out, 0) << "run " << i + 1;
    Tensor y(KILN_DTYPE_FLOAT32, expected.dims());
    ASSERT_EQ(api->copy_async(y.data(), out, y.bytes(), KILN_COPY_DEVICE_TO_HOST, nullptr), KILN_OK);
    ASSERT_EQ(api->stream_synchronize(nullptr), KILN_OK);
    EXPECT_EQ(std::memcmp(y.data(), expected.data(), y.bytes()), 0) << "run " << i + 1;
  }
  expect_identical({{"y", expected}}, engine.run({{"x", x}}), "run() after run_device()");
  api->free(in);
  api->free(out);
}

// Device I/O where host layers read an input and write the output: the engine fetches and uploads them.
TEST_P(DeviceEngine, RunDeviceWithHostLayersAtBothEnds) {
  const BuildConfig config = device_config();
  Engine engine(host_at_both_ends(), registry_, config);
  EXPECT_FALSE(engine.graph_capturable());
  EXPECT_EQ(layers_running(engine, "kiln.cpu_ref.Sigmoid"), 2u);
  const kiln_device_api* api = engine.device_api();
  const Tensor x = random_floats({2, 3, 4, 5}, 27);
  const Tensor expected = engine.run({{"x", x}}).at("y");
  expect_near(oracle(host_at_both_ends, {{"x", x}}), {{"y", expected}}, kFp32Tolerance, "run()");
  void* in = nullptr;
  void* out = nullptr;
  ASSERT_EQ(api->malloc(x.bytes(), &in), KILN_OK);
  ASSERT_EQ(api->malloc(expected.bytes(), &out), KILN_OK);
  ASSERT_EQ(api->copy_async(in, x.data(), x.bytes(), KILN_COPY_HOST_TO_DEVICE, nullptr), KILN_OK);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(api->fill_async(out, 0, expected.bytes(), nullptr), KILN_OK);
    engine.run_device({{"x", {in, x.dims()}}}, {{"y", {out, {}}}});
    Tensor y(KILN_DTYPE_FLOAT32, expected.dims());
    ASSERT_EQ(api->copy_async(y.data(), out, y.bytes(), KILN_COPY_DEVICE_TO_HOST, nullptr), KILN_OK);
    EXPECT_EQ(std::memcmp(y.data(), expected.data(), y.bytes()), 0) << "run_device " << i + 1;
  }
  api->free(in);
  api->free(out);
}

// Outputs that are constants or graph inputs come back from replays as from eager runs.
TEST_P(DeviceEngine, OutputsWithoutLayersSurviveReplays) {
  const BuildConfig config = device_config();
  Engine engine(outputs_without_layers(), registry_, config);
  EXPECT_TRUE(engine.graph_capturable());
  const Results inputs = {{"x", random_floats({2, 3, 4, 5}, 28)}};
  const Results expected = oracle(outputs_without_layers, inputs);
  for (int i = 0; i < 3; ++i) {
    const Results got = engine.run(inputs);
    ASSERT_EQ(got.size(), 3u) << "run " << i + 1;
    expect_near({{"y", expected.at("y")}}, {{"y", got.at("y")}}, kFp32Tolerance, "run " + std::to_string(i + 1));
    EXPECT_EQ(got.at("shape").int_values(), (std::vector<int64_t>{2, 3, 4, 5}));
    expect_identical({{"x", inputs.at("x")}}, {{"x", got.at("x")}}, "run " + std::to_string(i + 1));
  }
}

// A kernel that fails while its run is being captured: the error surfaces, the capture is abandoned, and the
// next runs (eager, then captured again) are right.
TEST_P(DeviceEngine, AKernelFailingDuringACaptureLeavesTheEngineUsable) {
  const BuildConfig config = device_config(2);
  Engine engine(two_branches(), registry_, config);
  const Results inputs = {{"x", random_floats({2, 3, 4, 5}, 29)}};
  const Results expected = oracle(two_branches, inputs);
  expect_near(expected, engine.run(inputs), kFp32Tolerance, "run 1 (eager)");
  fake().fail_kernel_after(2);  // the third of four kernels
  try {
    engine.run(inputs);
    ADD_FAILURE() << "run 2 did not fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fails on purpose"), std::string::npos) << e.what();
  }
  fake().fail_kernel_after(-1);
  const Counts before = Counts::now();
  for (int i = 3; i <= 5; ++i) expect_near(expected, engine.run(inputs), kFp32Tolerance, "run " + std::to_string(i));
  EXPECT_EQ(Counts::now().since(before).captures, 1);
}

// A run that fails in the middle leaves work queued on the streams (deferred mode): the context stays usable,
// and destroying the engine completes that work before freeing what it uses (TearDown checks for misuse).
TEST_P(DeviceEngine, AFailedEagerRunLeavesNothingBroken) {
  auto graph = [] {  // Relu(x) + Softmax(x + bias), the Softmax branch (with a workspace) on its own stream
    GraphBuilder g;
    Value* x = g.input("x", {2, 3, 4, 5});
    Value* left = g.op("Relu", {x}, "left");
    Value* shifted = g.op("Add", {x, g.constant("bias", random_floats({1, 3, 1, 1}, 31))}, "shifted");
    g.output(g.op("Add", {left, g.op("Softmax", {shifted}, "right")}, "y"));
    return g.take();
  };
  const BuildConfig config = device_config(2);
  const Results inputs = {{"x", random_floats({2, 3, 4, 5}, 30)}};
  const Results expected = oracle(graph, inputs);
  for (bool destroy_after_failure : {false, true}) {
    Engine engine(graph(), registry_, config, EngineOptions{true});  // poisoned: every run is eager
    ASSERT_EQ(engine.plan().schedule.num_streams, 2);
    expect_near(expected, engine.run(inputs), kFp32Tolerance, "run 1");
    fake().fail_kernel_after(3);  // the last kernel
    EXPECT_THROW(engine.run(inputs), Error);
    fake().fail_kernel_after(-1);
    if (destroy_after_failure) continue;
    expect_near(expected, engine.run(inputs), kFp32Tolerance, "run 3");
  }
  EXPECT_EQ(fake().live_allocations(), allocations_before_);
}

// (f) Two threads at once: each takes its own context (arena, streams, captured graphs).
TEST_P(DeviceEngine, ConcurrentRunsFromTwoThreadsAgree) {
  const BuildConfig config = device_config(2);
  Engine engine(two_branches(), registry_, config);
  const Results inputs = {{"x", random_floats({2, 3, 4, 5}, 10)}};
  const Results expected = engine.run(inputs);
  std::vector<Results> results[2];
  std::string failures[2];
  auto worker = [&](int t) {
    try {
      for (int i = 0; i < 10; ++i) results[t].push_back(engine.run(inputs));
    } catch (const std::exception& e) {
      failures[t] = e.what();
    }
  };
  std::thread first(worker, 0), second(worker, 1);
  first.join();
  second.join();
  for (int t = 0; t < 2; ++t) {
    EXPECT_EQ(failures[t], "") << "thread " << t;
    ASSERT_EQ(results[t].size(), 10u);
    for (const Results& r : results[t]) expect_identical(expected, r, "thread " + std::to_string(t));
  }
  expect_near(oracle(two_branches, inputs), expected, kFp32Tolerance, "oracle");
}

// (g) Poisoned outputs (filled on the device before each kernel) change nothing; nothing is captured then.
TEST_P(DeviceEngine, PoisonedOutputsStillGiveTheOraclesResults) {
  for (const BuildConfig& config : {device_config(), fp16_config(), device_config(2)}) {
    Engine engine(relu_add_softmax(), registry_, config, EngineOptions{true});
    const Counts before = Counts::now();
    run_and_compare(engine, relu_add_softmax, {{"x", random_floats({2, 3, 4, 5}, 16)}}, 3,
                    config.precision == "fp16" ? kFp16Tolerance : kFp32Tolerance);
    EXPECT_EQ(Counts::now().since(before).captures, 0);
  }
  Engine engine(relu_sigmoid_add_softmax(), registry_, device_config(), EngineOptions{true});
  run_and_compare(engine, relu_sigmoid_add_softmax, {{"x", random_floats({2, 3, 4, 5}, 17)}}, 2, kFp32Tolerance);
}

// (h) Destroying an engine frees every byte of device memory it took: arenas, workspaces, uploaded constants.
TEST_P(DeviceEngine, DestroyingTheEngineFreesAllDeviceMemory) {
  const long before = fake().live_allocations();
  {
    const BuildConfig config = fp16_config();
    Engine engine(relu_add_softmax(), registry_, config);
    EXPECT_GT(fake().live_allocations(), before) << "the Add kernel uploads its constant when created";
    run_and_compare(engine, relu_add_softmax, {{"x", random_floats({2, 3, 4, 5}, 18)}}, 3, kFp16Tolerance);
    EXPECT_GT(fake().live_allocations(), before);
  }
  EXPECT_EQ(fake().live_allocations(), before);
  {
    const BuildConfig config = device_config(2);
    Engine engine(two_branches(), registry_, config);
    const Results inputs = {{"x", random_floats({2, 3, 4, 5}, 19)}};
    std::thread other([&] {
      for (int i = 0; i < 3; ++i) engine.run(inputs);
    });
    for (int i = 0; i < 3; ++i) engine.run(inputs);
    other.join();
  }
  EXPECT_EQ(fake().live_allocations(), before);
  EXPECT_EQ(fake().live_host_allocations(), 0);
}

// An engine that fails to build leaves no device memory behind either.
TEST_P(DeviceEngine, AFailedBuildFreesTheKernelsItPrepared) {
  const long before = fake().live_allocations();
  GraphBuilder g;
  Value* x = g.input("x", {2, 3, 4, 5});
  Value* a = g.op("Add", {x, g.constant("bias", random_floats({1, 3, 1, 1}, 20))}, "a");
  g.output(g.op("Frobnicate", {a}, "y"));
  const BuildConfig config = device_config();
  EXPECT_THROW(Engine(g.take(), registry_, config), Unsupported);
  EXPECT_EQ(fake().live_allocations(), before);
}

// Outputs finished at different times: the first output's device bytes must survive until it is copied out,
// which the engine does after the whole body has run.
TEST_P(DeviceEngine, AnEarlyOutputSurvivesUntilItIsCopiedOut) {
  const BuildConfig config = device_config();
  Engine engine(early_and_late_outputs(), registry_, config);
  EXPECT_EQ(layers_running(engine, "kiln.core.CopyToHost"), 2u);
  EXPECT_TRUE(engine.graph_capturable());
  run_and_compare(engine, early_and_late_outputs, {{"x", random_floats({2, 3, 4, 5}, 21)}}, 3, kFp32Tolerance);
}

// In place is legal only where input and output are laid out alike: a float16 Relu reading an NHWC value and
// writing a linear one (its reader takes no NHWC) must not write over its input.
TEST_P(DeviceEngine, InPlaceNeverCrossesALayoutChange) {
  auto graph = [] {
    GraphBuilder g;
    Value* x = g.input("x", {2, 3, 4, 5});
    Value* r = g.op("Relu", {x}, "r");
    g.output(g.op("Softmax", {r}, "y"));
    return g.take();
  };
  BuildConfig config = fp16_config();
  config.layer_precisions.push_back(LayerPrecision{"*", "fp16", {}});
  Engine engine(graph(), registry_, config);
  const Node* relu = node_of(engine, "Relu");
  ASSERT_NE(relu, nullptr);
  EXPECT_EQ(relu->inputs[0]->layout, KILN_LAYOUT_NHWC);
  EXPECT_EQ(relu->outputs[0]->layout, KILN_LAYOUT_LINEAR);
  run_and_compare(engine, graph, {{"x", random_floats({2, 3, 4, 5}, 22)}}, 3, kFp16Tolerance);
}

// Input shapes from a profile: each shape is captured on its own, and a larger shape that grows a kernel's
// workspace must not leave an earlier capture pointing at the freed one.
TEST_P(DeviceEngine, ShapesFromAProfileEachCaptureAndReplay) {
  BuildConfig config = device_config();
  config.profile["x"] = ShapeRange{{1, 3, 4, 5}, {2, 3, 4, 5}, {4, 3, 4, 5}, {}};
  Engine engine(any_batch(), registry_, config);
  EXPECT_TRUE(engine.graph_capturable());
  const Results small = {{"x", random_floats({2, 3, 4, 5}, 23)}};
  const Results large = {{"x", random_floats({4, 3, 4, 5}, 24)}};
  const Results want_small = oracle(any_batch, small), want_large = oracle(any_batch, large);
  for (const Results* inputs : {&small, &small, &large, &small, &large, &large, &small}) {
    const Results got = engine.run(*inputs);
    expect_near(inputs == &small ? want_small : want_large, got, kFp32Tolerance,
                "batch " + std::to_string(inputs->at("x").dims()[0]));
  }
}

// Kernels may time alternatives when created; the timing cache keeps what they found for the next build, and
// their notes say which it was.
TEST_P(DeviceEngine, TheTimingCacheCarriesMeasurementsToTheNextBuild) {
  const std::filesystem::path cache =
      std::filesystem::path(::testing::TempDir()) / ("device_timing_" + std::to_string(GetParam()) + ".cache");
  std::filesystem::remove(cache);
  BuildConfig config = device_config();
  config.tuning_cache = cache.string();
  auto softmax_notes = [](const Engine& engine) {
    for (const Layer& layer : engine.layers())
      if (layer.node->op_type == "Softmax") return layer.notes;
    return std::vector<std::string>{};
  };
  {
    Engine first(relu_add_softmax(), registry_, config);
    EXPECT_EQ(softmax_notes(first), std::vector<std::string>{"rowwise: measured"});
  }
  std::ifstream in(cache);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("kiln.fake.Softmax float32[2,3,4,5,] kiln fake device\trowwise"), std::string::npos) << text;
  Engine second(relu_add_softmax(), registry_, config);
  EXPECT_EQ(softmax_notes(second), std::vector<std::string>{"rowwise: from the timing cache"});
}

// A device plan through a plan file: layouts, devices, copies (the core's own layers, no plugin), notes and the
// timing entries survive the bytes, and the loaded engine gives the built one's results without re-timing.
TEST_P(DeviceEngine, ADevicePlanSurvivesAPlanFile) {
  BuildConfig config = fp16_config();
  config.tuning_cache = (std::filesystem::path(::testing::TempDir()) /
                         ("plan_timing_" + std::to_string(GetParam()) + ".cache")).string();
  std::filesystem::remove(config.tuning_cache);
  EnginePlan built = build_engine_plan(relu_add_softmax(), registry_, config);
  const PlanContents contents = export_plan(built, {});
  ASSERT_FALSE(contents.tuning.empty()) << "the fake Softmax stores a measurement";
  const PlanContents read = parse_plan(serialize_plan(contents), "device.plan");
  EXPECT_EQ(read.tuning, contents.tuning);
  EXPECT_EQ(read.memory.device_arena_bytes, built.device_arena_bytes);
  size_t nhwc = 0, on_device = 0, core_layers = 0;
  for (const PlanValue& v : read.values) {
    nhwc += v.layout == KILN_LAYOUT_NHWC;
    on_device += v.device == KILN_DEVICE_CUDA;
  }
  for (const PlanNode& n : read.nodes) core_layers += n.plugin < 0;
  EXPECT_GT(nhwc, 0u);
  EXPECT_GT(on_device, 0u);
  EXPECT_EQ(core_layers, 2u);  // one copy in, one copy out

  const Engine from_build(std::move(built));
  PluginRegistry loading;
  const Engine from_file(import_plan(read, loading, "device.plan"));
  ASSERT_NE(from_file.device_api(), nullptr);
  EXPECT_TRUE(from_file.graph_capturable());
  for (const Layer& layer : from_file.layers()) {
    if (layer.node->op_type == "Softmax") {
      EXPECT_EQ(layer.notes, std::vector<std::string>{"rowwise: measured"});  // the build's note, kept
    }
  }
  const Results inputs = {{"x", random_floats({2, 3, 4, 5}, 3)}};
  for (int i = 0; i < 3; ++i) expect_identical(from_build.run(inputs), from_file.run(inputs), "run " + std::to_string(i + 1));
}

// `tuning: {kernels: fastest}`: two device kernels accept the Relu; the one listed first is 2 ms slower. Timing
// keeps the fast one, notes the figures, and a second build takes the winner from the timing cache.
TEST_P(DeviceEngine, TimingKeepsTheFastestOfSeveralDeviceKernels) {
  BuildConfig config = device_config();
  config.kernels.insert(config.kernels.begin(), KernelPreference{"Relu", {"kiln.fake.SlowRelu", "kiln.fake.Relu"},
                                                                 {SourceLocation{}, SourceLocation{}}, SourceLocation{}});
  {
    const Engine preferred(relu_add_softmax(), registry_, config);
    EXPECT_EQ(layers_running(preferred, "kiln.fake.SlowRelu"), 1u) << "without timing the preference order decides";
  }
  config.time_kernels = true;
  config.tuning_cache = (std::filesystem::path(::testing::TempDir()) /
                         ("kernel_timing_" + std::to_string(GetParam()) + ".cache")).string();
  std::filesystem::remove(config.tuning_cache);
  auto relu_notes = [](const Engine& engine) {
    for (const Layer& layer : engine.layers())
      if (layer.node->op_type == "Relu") return layer.notes;
    return std::vector<std::string>{};
  };
  const Results inputs = {{"x", random_floats({2, 3, 4, 5}, 11)}};
  {
    const Engine timed(relu_add_softmax(), registry_, config);
    EXPECT_EQ(layers_running(timed, "kiln.fake.Relu"), 1u);
    EXPECT_EQ(layers_running(timed, "kiln.fake.SlowRelu"), 0u);
    const std::vector<std::string> notes = relu_notes(timed);
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("kiln.fake.SlowRelu"), std::string::npos) << notes[0];
    EXPECT_NE(notes[0].find("kept kiln.fake.Relu"), std::string::npos) << notes[0];
    run_and_compare(timed, relu_add_softmax, inputs, 3, kFp32Tolerance);
  }
  const Engine cached(relu_add_softmax(), registry_, config);
  EXPECT_EQ(layers_running(cached, "kiln.fake.Relu"), 1u);
  ASSERT_EQ(relu_notes(cached).size(), 1u);
  EXPECT_NE(relu_notes(cached)[0].find("from the timing cache"), std::string::npos) << relu_notes(cached)[0];
}

// x + c -> Relu -> Softmax: Add -> Relu is the test pack's fused AddAct pattern, which only the CPU runs.
std::unique_ptr<Graph> add_relu_softmax() {
  GraphBuilder g;
  Value* sum = g.op("Add", {g.input("x", {2, 3, 4, 5}), g.input("c", {2, 3, 4, 5})}, "sum");
  g.output(g.op("Softmax", {g.op("Relu", {sum}, "r")}, "y"));
  return g.take();
}

// A fused pattern that only the CPU fallback offers is not taken under a device config: it would move the
// device's Add and Relu to the host (with copies around them). Under a CPU config the same chain fuses.
TEST(PatternFusionOnADevice, LeavesAChainOnItsDeviceRatherThanFuseItOntoTheHost) {
  PluginRegistry registry;
  registry.load(FakeDevice::path());
  registry.load(reference_pack());
  registry.load(test_plugin("kiln_test_passes"));
  BuildConfig on_device;
  on_device.device = "cuda";
  const Engine device(add_relu_softmax(), registry, on_device);
  EXPECT_EQ(layers_running(device, "kiln.test.passes.AddAct"), 0u);
  EXPECT_EQ(layers_running(device, "kiln.fake.Add"), 1u);
  EXPECT_EQ(layers_running(device, "kiln.fake.Relu"), 1u);
  const Results inputs = {{"x", random_floats({2, 3, 4, 5}, 31)}, {"c", random_floats({2, 3, 4, 5}, 32)}};
  const Results expected = oracle(add_relu_softmax, inputs);
  expect_near(expected, device.run(inputs), kFp32Tolerance, "device engine");

  const BuildConfig on_host;
  const Engine host(add_relu_softmax(), registry, on_host);
  EXPECT_EQ(layers_running(host, "kiln.test.passes.AddAct"), 1u);
  expect_near(expected, host.run(inputs), kFp32Tolerance, "host engine");
}

// The same between CPU kernels: the fake pack's slow host Relu, listed first, loses to the reference pack's.
TEST(KernelTiming, KeepsTheFastestOfSeveralHostKernels) {
  PluginRegistry registry;
  registry.load(FakeDevice::path());
  registry.load(reference_pack());
  BuildConfig config;
  config.kernels.push_back(KernelPreference{"Relu", {"kiln.fake.HostSlowRelu", "kiln.cpu_ref.*"},
                                            {SourceLocation{}, SourceLocation{}}, SourceLocation{}});
  config.kernels.push_back(KernelPreference{"*", {"kiln.cpu_ref.*"}, {SourceLocation{}}, SourceLocation{}});
  config.time_kernels = true;
  const Engine engine(relu_add_softmax(), registry, config);
  EXPECT_EQ(layers_running(engine, "kiln.cpu_ref.Relu"), 1u);
  const Results inputs = {{"x", random_floats({2, 3, 4, 5}, 12)}};
  expect_near(oracle(relu_add_softmax, inputs), engine.run(inputs), kFp32Tolerance, "timed CPU engine");
}

// The fake device itself: kernels refuse host memory (a missing copy), copies check their direction.
TEST_P(DeviceEngine, TheFakeDeviceCatchesHostPointersAndWrongDirections) {
  const kiln_device_api* api = registry_.device_api(KILN_DEVICE_CUDA);
  ASSERT_NE(api, nullptr);
  char name[64] = {0};
  EXPECT_EQ(api->device_name(name, sizeof name), KILN_OK);
  EXPECT_STREQ(name, "kiln fake device");
  EXPECT_EQ(api->device_count(), 1);
  Tensor host(KILN_DTYPE_FLOAT32, {16});
  void* device = nullptr;
  ASSERT_EQ(api->malloc(host.bytes(), &device), KILN_OK);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(device) % 256, 0u);
  EXPECT_NE(api->copy_async(device, host.data(), host.bytes(), KILN_COPY_DEVICE_TO_HOST, nullptr), KILN_OK);
  EXPECT_NE(api->copy_async(host.data(), device, host.bytes(), KILN_COPY_HOST_TO_DEVICE, nullptr), KILN_OK);
  EXPECT_NE(api->copy_async(device, host.data(), host.bytes(), KILN_COPY_DEVICE_TO_DEVICE, nullptr), KILN_OK);
  EXPECT_EQ(api->copy_async(device, host.data(), host.bytes(), KILN_COPY_HOST_TO_DEVICE, nullptr), KILN_OK);
  api->free(device);
  EXPECT_NE(api->copy_async(host.data(), device, host.bytes(), KILN_COPY_DEVICE_TO_HOST, nullptr), KILN_OK)
      << "freed memory is no longer device memory";

  // A device kernel handed host memory fails, naming the node.
  GraphBuilder g;
  g.output(g.op("Relu", {g.input("x", {4})}, "y"));
  std::unique_ptr<Graph> graph = g.take();
  const BuildConfig config = device_config();
  const KernelEntry* relu = registry_.find("kiln.fake.Relu");
  ASSERT_NE(relu, nullptr);
  const Node& node = *graph->nodes()[0];
  Tensor x(KILN_DTYPE_FLOAT32, {4}), y(KILN_DTYPE_FLOAT32, {4});
  const kiln_tensor in = x.view(), out = y.view();
  void* state = nullptr;
  ASSERT_EQ(relu->desc->create(nullptr, host_api(), to_handle(&node), &state), KILN_OK);
  void* stream = nullptr;
  ASSERT_EQ(api->stream_create(&stream), KILN_OK);
  kiln_exec_ctx ctx{};
  ctx.struct_size = sizeof ctx;
  ctx.num_inputs = 1;
  ctx.inputs = &in;
  ctx.num_outputs = 1;
  ctx.outputs = &out;
  ctx.stream = stream;
  EXPECT_NE(relu->desc->execute(state, &ctx), KILN_OK);
  EXPECT_NE(take_plugin_error().find("not device memory: a copy is missing"), std::string::npos);
  relu->desc->destroy(state);
  api->stream_destroy(stream);
}

}  // namespace
}  // namespace kiln
