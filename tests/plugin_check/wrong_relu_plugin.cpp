// Kernels for the `kiln plugin check` tests (tests/plugin_check/plugin_check.sh), each wrong in one way the
// check must catch, next to right ones it must pass. Float32 only, dense inputs; shapes come from the
// reference's shape functions (no infer here, as a pack for ai.onnx ops may do).
//   test.wrong.Relu            off for negative inputs (returns 0.01 x)                          -> FAIL
//   test.wrong.AbsHalf         leaves the second half of its output unwritten                   -> FAIL (poison)
//   test.wrong.StridedSigmoid  declares STRIDED_OUTPUT but writes densely                       -> FAIL (strided)
//   test.wrong.LeakyRelu       serializes nothing, so a deserialized state forgets alpha       -> FAIL (round trip)
//   test.wrong.Elu             serialize's size query says 4 bytes, it writes 8                 -> FAIL (sizes)
//   test.good.LeakyRelu        serializes alpha                                                 -> PASS
//   test.good.Tanh             declines inputs of rank > 2 (counted as declined)                -> PASS
//   test.wrong.MatMulAdd       fused MatMul -> Add that forgets the bias                        -> FAIL (fused)
//   test.good.Swish            com.example::Swish, which the reference pack does not know      -> SKIP
#include <cmath>
#include <cstring>

#include "kiln/plugin.hpp"

namespace {

constexpr uint64_t kFloat32 = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32);

kiln::KernelSpec unary_spec(const char* name, const char* op_type, uint32_t flags = 0) {
  kiln::KernelSpec s;
  s.name = name;
  s.op_type = op_type;
  s.opset_min = 6;
  s.inputs = {kiln::io(kFloat32)};
  s.outputs = {kiln::io(kFloat32)};
  s.flags = flags;
  return s;
}

template <class F> void map_dense(kiln::ExecContext& ctx, F f, int64_t count = -1) {
  const kiln::Tensor x = ctx.input(0), y = ctx.output(0);
  const int64_t n = count < 0 ? x.numel() : count;
  for (int64_t i = 0; i < n; ++i) y.data<float>()[i] = f(x.data<float>()[i]);
}

struct WrongRelu {
  static kiln::KernelSpec spec() { return unary_spec("test.wrong.Relu", "Relu"); }
  explicit WrongRelu(const kiln::Node&) {}
  void execute(kiln::ExecContext& ctx) {
    map_dense(ctx, [](float v) { return v > 0 ? v : 0.01f * v; });
  }
};

struct AbsHalf {
  static kiln::KernelSpec spec() { return unary_spec("test.wrong.AbsHalf", "Abs"); }
  explicit AbsHalf(const kiln::Node&) {}
  void execute(kiln::ExecContext& ctx) {
    map_dense(ctx, [](float v) { return std::abs(v); }, ctx.input(0).numel() / 2);
  }
};

struct StridedSigmoid {
  static kiln::KernelSpec spec() {
    return unary_spec("test.wrong.StridedSigmoid", "Sigmoid", KILN_KERNEL_STRIDED_OUTPUT);
  }
  explicit StridedSigmoid(const kiln::Node&) {}
  void execute(kiln::ExecContext& ctx) {
    map_dense(ctx, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });  // ignores the output's strides
  }
};

// LeakyRelu with alpha kept in its prepared state; `Faithful` says whether serialize keeps it.
template <bool Faithful> struct LeakyRelu {
  static kiln::KernelSpec spec() {
    return unary_spec(Faithful ? "test.good.LeakyRelu" : "test.wrong.LeakyRelu", "LeakyRelu");
  }
  explicit LeakyRelu(const kiln::Node& node) : alpha(node.attr_float("alpha", 0.01f)) {}
  LeakyRelu(const kiln::Node&, const uint8_t* bytes, size_t length) {
    if (length == sizeof alpha) std::memcpy(&alpha, bytes, sizeof alpha);
  }
  std::vector<uint8_t> serialize() const {
    if (!Faithful) return {};
    std::vector<uint8_t> bytes(sizeof alpha);
    std::memcpy(bytes.data(), &alpha, sizeof alpha);
    return bytes;
  }
  void execute(kiln::ExecContext& ctx) {
    map_dense(ctx, [this](float v) { return v >= 0 ? v : alpha * v; });
  }
  float alpha = 0.01f;
};

// Elu whose serialize is raw C: the size query and the bytes written disagree.
struct LyingElu {
  static kiln::KernelSpec spec() { return unary_spec("test.wrong.Elu", "Elu"); }
  explicit LyingElu(const kiln::Node& node) : alpha(node.attr_float("alpha", 1.0f)) {}
  void execute(kiln::ExecContext& ctx) {
    map_dense(ctx, [this](float v) { return v >= 0 ? v : alpha * (std::exp(v) - 1.0f); });
  }
  static kiln_status serialize(void* state, void* buffer, size_t capacity, size_t* written) {
    *written = buffer ? 8 : 4;
    if (buffer && capacity >= sizeof(float)) std::memcpy(buffer, &static_cast<LyingElu*>(state)->alpha, sizeof(float));
    return KILN_OK;
  }
  static kiln_status deserialize(void*, const kiln_host_api* host, const kiln_node* node, const void*, size_t,
                                 void** state) {
    *state = new LyingElu(kiln::Node(host, node));
    return KILN_OK;
  }
  float alpha;
};

const kiln_kernel_desc* lying_elu() {
  static kiln_kernel_desc desc = [] {
    kiln_kernel_desc d = *kiln::describe<LyingElu>();
    d.serialize = &LyingElu::serialize;
    d.deserialize = &LyingElu::deserialize;
    return d;
  }();
  return &desc;
}

struct DecliningTanh {
  static kiln::KernelSpec spec() { return unary_spec("test.good.Tanh", "Tanh"); }
  static std::string check(const kiln::Node& node) {
    return node.input(0).rank() > 2 ? "this Tanh takes rank 2 at most" : "";
  }
  explicit DecliningTanh(const kiln::Node&) {}
  void execute(kiln::ExecContext& ctx) {
    map_dense(ctx, [](float v) { return std::tanh(v); });
  }
};

struct Swish {
  static kiln::KernelSpec spec() {
    kiln::KernelSpec s = unary_spec("test.good.Swish", "Swish");
    s.domain = "com.example";
    s.opset_min = 1;
    return s;
  }
  static void infer(const kiln::Node&, kiln::InferContext& ctx) {
    ctx.set_output(0, ctx.input(0).dtype, ctx.input(0).dims);
  }
  explicit Swish(const kiln::Node&) {}
  void execute(kiln::ExecContext& ctx) {
    map_dense(ctx, [](float v) { return v / (1.0f + std::exp(-v)); });
  }
};

// A fused MatMul -> Add (2-D A and B, a constant bias per column) that computes the product only.
struct MatMulAddForgettingBias {
  static kiln::KernelSpec spec() {
    kiln::KernelSpec s;
    s.name = "test.wrong.MatMulAdd";
    s.op_type = "MatMulAdd";
    s.opset_min = 13;
    s.inputs = {kiln::io(kFloat32), kiln::io(kFloat32), kiln::io(kFloat32)};
    s.outputs = {kiln::io(kFloat32)};
    s.pattern = {{"", "MatMul", -1, 0}, {"", "Add", -1, 0}};
    return s;
  }
  static std::string check(const kiln::Node& node) {
    const kiln::ValueInfo a = node.input(0), b = node.input(1), bias = node.input(2);
    if (a.rank() != 2 || b.rank() != 2) return "A and B must be matrices";
    if (!bias.data || bias.rank() != 1 || bias.dims[0] != b.dims[1]) return "the bias must be a constant per column";
    return "";
  }
  explicit MatMulAddForgettingBias(const kiln::Node&) {}
  void execute(kiln::ExecContext& ctx) {
    const kiln::Tensor a = ctx.input(0), b = ctx.input(1), y = ctx.output(0);
    const int64_t m = a.dim(0), k = a.dim(1), n = b.dim(1);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float sum = 0;
        for (int64_t p = 0; p < k; ++p) sum += a.data<float>()[i * k + p] * b.data<float>()[p * n + j];
        y.data<float>()[i * n + j] = sum;  // + bias[j], forgotten
      }
  }
};

const kiln::KernelFactory kKernels[] = {
    &kiln::describe<WrongRelu>,          &kiln::describe<AbsHalf>,         &kiln::describe<StridedSigmoid>,
    &kiln::describe<LeakyRelu<false>>,   &lying_elu,                       &kiln::describe<LeakyRelu<true>>,
    &kiln::describe<DecliningTanh>,      &kiln::describe<MatMulAddForgettingBias>, &kiln::describe<Swish>,
};

}  // namespace

KILN_DEFINE_PLUGIN("kiln.test.plugin_check", "1.0.0", "kernels that `kiln plugin check` must fail, pass or skip",
                   kKernels)
