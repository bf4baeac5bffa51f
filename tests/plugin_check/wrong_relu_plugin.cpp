// Kernels for the `kiln plugin check` tests (tests/plugin_check/plugin_check.sh), each wrong in one way the
// check must catch, next to right ones it must pass. Float32 only (the INT8 Conv aside), dense inputs; shapes
// come from the reference's shape functions (no infer here, as a pack for ai.onnx ops may do).
//   test.wrong.Relu            off for negative inputs (returns 0.01 x)                          -> FAIL
//   test.wrong.AbsHalf         leaves the second half of its output unwritten                   -> FAIL (poison)
//   test.wrong.StridedSigmoid  declares STRIDED_OUTPUT but writes densely                       -> FAIL (strided)
//   test.wrong.LeakyRelu       serializes nothing, so a deserialized state forgets alpha       -> FAIL (round trip)
//   test.wrong.Elu             serialize's size query says 4 bytes, it writes 8                 -> FAIL (sizes)
//   test.good.LeakyRelu        serializes alpha                                                 -> PASS
//   test.good.Tanh             declines inputs of rank > 2 (counted as declined)                -> PASS
//   test.wrong.MatMulAdd       fused MatMul -> Add that forgets the bias                        -> FAIL (fused)
//   test.good.Swish            com.example::Swish, which the reference pack does not know      -> SKIP
//   test.wrong.ConvInt8        INT8 Conv that forgets X's zero point                            -> FAIL (INT8)
//   test.wrong.Flatten         pass-through int8 Flatten that re-centres the integers on 0      -> FAIL (shared grid)
//   test.wrong.AveragePoolInt8 INT8 AveragePool writing nothing (no INT8 reference: float between grids) -> FAIL
//   test.good.GlobalAveragePoolInt8  INT8 GlobalAveragePool, checked likewise                   -> PASS
#include <algorithm>
#include <cmath>
#include <cstring>

#include "int8_test_math.hpp"
#include "kiln/plugin.hpp"

namespace {

constexpr uint64_t kFloat32 = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32);
constexpr uint64_t kQuant8 = KILN_DTYPE_BIT(KILN_DTYPE_INT8) | KILN_DTYPE_BIT(KILN_DTYPE_UINT8);

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

// An INT8 Conv (docs/quantization.md) written directly: 1-D or 2-D, pads, strides, dilations and groups; W
// quantized per output channel, symmetric (it declines weights that carry a grid); Y int8/uint8 or float32. It
// forgets X's zero point, so it is right only on symmetric int8 activations.
class ConvInt8ForgettingZeroPoint {
 public:
  static kiln::KernelSpec spec() {
    kiln::KernelSpec s;
    s.name = "test.wrong.ConvInt8";
    s.op_type = "Conv";
    s.opset_min = 11;
    s.inputs = {kiln::io(kQuant8), kiln::io(kFloat32), kiln::io(kFloat32, KILN_IO_OPTIONAL)};
    s.outputs = {kiln::io(kQuant8 | kFloat32)};
    s.flags = KILN_KERNEL_QUANTIZED;
    return s;
  }
  static std::string check(const kiln::Node& node) {
    const kiln::ValueInfo x = node.input(0), w = node.input(1), y = node.output(0);
    if (!x.quant.present() || x.quant.scales.size() != 1) return "X must be quantized per tensor";
    if (!w.data || w.quant.present()) return "W must be a float constant without a grid (quantized here)";
    if (node.attr_string("auto_pad", "NOTSET") != "NOTSET") return "auto_pad is not supported";
    if (x.rank() != 3 && x.rank() != 4) return "1-D or 2-D convolutions only";
    if (y.dtype != KILN_DTYPE_FLOAT32 && !y.quant.present()) return "Y must be float32 or quantized";
    return "";
  }
  explicit ConvInt8ForgettingZeroPoint(const kiln::Node& node)
      : w_dims_(node.input(1).dims), x_scale_(node.input(0).quant.scales[0]), y_(node.output(0)) {
    const bool one_d = w_dims_.size() == 3;
    if (one_d) w_dims_.insert(w_dims_.begin() + 2, 1);  // [M, C/g, 1, k]: a 1-D convolution is 2-D of height 1
    auto spatial = [&](const char* attr, int64_t fallback) {
      std::vector<int64_t> v = node.attr_ints(attr, std::vector<int64_t>(one_d ? 1 : 2, fallback));
      return one_d ? std::vector<int64_t>{fallback, v[0]} : v;
    };
    strides_ = spatial("strides", 1);
    dilations_ = spatial("dilations", 1);
    const std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(one_d ? 2 : 4, 0));
    pads_ = one_d ? std::vector<int64_t>{0, pads[0]} : std::vector<int64_t>{pads[0], pads[1]};
    group_ = node.attr_int("group", 1);
    quantize_weights(static_cast<const float*>(node.input(1).data));
  }
  void execute(kiln::ExecContext& ctx) {
    const kiln::Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> xd = plane_dims(x.shape()), yd = plane_dims(y.shape());
    const int64_t maps = w_dims_[0], per_group = w_dims_[1], kh = w_dims_[2], kw = w_dims_[3];
    const float* bias = ctx.has_input(2) ? ctx.input(2).data<float>() : nullptr;
    for (int64_t n = 0; n < yd[0]; ++n)
      for (int64_t m = 0; m < maps; ++m)
        for (int64_t oh = 0; oh < yd[2]; ++oh)
          for (int64_t ow = 0; ow < yd[3]; ++ow) {
            int64_t acc = 0;
            const int64_t first = m / (maps / group_) * per_group;
            for (int64_t c = 0; c < per_group; ++c)
              for (int64_t i = 0; i < kh; ++i)
                for (int64_t j = 0; j < kw; ++j) {
                  const int64_t ih = oh * strides_[0] - pads_[0] + i * dilations_[0];
                  const int64_t iw = ow * strides_[1] - pads_[1] + j * dilations_[1];
                  if (ih < 0 || ih >= xd[2] || iw < 0 || iw >= xd[3]) continue;
                  const int64_t at = ((n * xd[1] + first + c) * xd[2] + ih) * xd[3] + iw;
                  acc += integer(x, at) * w_[static_cast<size_t>(((m * per_group + c) * kh + i) * kw + j)];  // - x_zero
                }
            const double real = static_cast<double>(acc) * x_scale_ * w_scale_[static_cast<size_t>(m)] + (bias ? bias[m] : 0.0);
            store(y, ((n * maps + m) * yd[2] + oh) * yd[3] + ow, real);
          }
  }

 private:
  static std::vector<int64_t> plane_dims(std::vector<int64_t> d) {
    if (d.size() == 3) d.insert(d.begin() + 2, 1);
    return d;
  }
  static int64_t integer(const kiln::Tensor& t, int64_t i) {
    return t.dtype() == KILN_DTYPE_UINT8 ? t.data<uint8_t>()[i] : t.data<int8_t>()[i];
  }
  void quantize_weights(const float* w) {
    const int64_t maps = w_dims_[0];
    kiln_test::ChannelWeights q = kiln_test::channel_weights(w, maps, w_dims_[1] * w_dims_[2] * w_dims_[3]);
    w_ = std::move(q.q);
    w_scale_ = std::move(q.scales);
  }
  void store(const kiln::Tensor& y, int64_t i, double real) const { kiln_test::store_real(y, i, real, y_.quant); }

  std::vector<int64_t> w_dims_, strides_, dilations_, pads_;
  int64_t group_ = 1;
  double x_scale_;
  kiln::ValueInfo y_;
  std::vector<int64_t> w_;
  std::vector<double> w_scale_;
};

// One int8/uint8 input and output, flagged QUANTIZED or QUANT_PASSTHROUGH.
kiln::KernelSpec quant8_unary_spec(const char* name, const char* op_type, int opset_min, uint32_t flags) {
  kiln::KernelSpec s = unary_spec(name, op_type, flags);
  s.opset_min = opset_min;
  s.inputs = {kiln::io(kQuant8)};
  s.outputs = {kiln::io(kQuant8)};
  return s;
}

// A pass-through Flatten on int8/uint8 that writes q - zero_point (the grid's integers re-centred on 0): right
// on integers without a grid or on a symmetric one, wrong on the grid the builder shares with its output.
class FlattenRecentring {
 public:
  static kiln::KernelSpec spec() {
    return quant8_unary_spec("test.wrong.Flatten", "Flatten", 13, KILN_KERNEL_QUANT_PASSTHROUGH);
  }
  explicit FlattenRecentring(const kiln::Node& node) {
    const kiln::Quantization& q = node.input(0).quant;
    if (q.present()) zero_ = q.zero_points[0];
  }
  void execute(kiln::ExecContext& ctx) {
    const kiln::Tensor x = ctx.input(0), y = ctx.output(0);
    const auto* in = static_cast<const uint8_t*>(x.raw());
    auto* out = static_cast<uint8_t*>(y.raw());
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = static_cast<uint8_t>(in[i] - zero_);
  }

 private:
  int32_t zero_ = 0;
};

// An INT8 AveragePool that writes nothing: the reference pack has no INT8 AveragePool, so it is checked against
// the float one between X's and Y's grids, and its poisoned output fails.
struct AveragePoolInt8 {
  static kiln::KernelSpec spec() {
    return quant8_unary_spec("test.wrong.AveragePoolInt8", "AveragePool", 11, KILN_KERNEL_QUANTIZED);
  }
  explicit AveragePoolInt8(const kiln::Node&) {}
  void execute(kiln::ExecContext&) {}
};

// An INT8 GlobalAveragePool: the mean of each plane's reals, requantized onto Y's grid (checked as above).
class GlobalAveragePoolInt8 {
 public:
  static kiln::KernelSpec spec() {
    return quant8_unary_spec("test.good.GlobalAveragePoolInt8", "GlobalAveragePool", 1, KILN_KERNEL_QUANTIZED);
  }
  static std::string check(const kiln::Node& node) {
    const kiln::ValueInfo x = node.input(0), y = node.output(0);
    return x.quant.per_tensor() && y.quant.per_tensor() && x.dtype == y.dtype ? "" : "X and Y: one dtype, per tensor";
  }
  explicit GlobalAveragePoolInt8(const kiln::Node& node) : x_(node.input(0).quant), y_(node.output(0).quant) {}
  void execute(kiln::ExecContext& ctx) {
    const kiln::Tensor x = ctx.input(0), y = ctx.output(0);
    const int64_t planes = x.dim(0) * x.dim(1), plane = planes ? x.numel() / planes : 0;
    for (int64_t p = 0; p < planes; ++p) {
      double sum = 0;
      for (int64_t i = 0; i < plane; ++i) sum += (integer(x, p * plane + i) - x_.zero_points[0]) * static_cast<double>(x_.scales[0]);
      kiln_test::store_real(y, p, sum / static_cast<double>(plane), y_);
    }
  }

 private:
  static int64_t integer(const kiln::Tensor& t, int64_t i) {
    return t.dtype() == KILN_DTYPE_UINT8 ? t.data<uint8_t>()[i] : t.data<int8_t>()[i];
  }
  kiln::Quantization x_, y_;
};

const kiln::KernelFactory kKernels[] = {
    &kiln::describe<WrongRelu>,          &kiln::describe<AbsHalf>,         &kiln::describe<StridedSigmoid>,
    &kiln::describe<LeakyRelu<false>>,   &lying_elu,                       &kiln::describe<LeakyRelu<true>>,
    &kiln::describe<DecliningTanh>,      &kiln::describe<MatMulAddForgettingBias>, &kiln::describe<Swish>,
    &kiln::describe<ConvInt8ForgettingZeroPoint>, &kiln::describe<FlattenRecentring>,
    &kiln::describe<AveragePoolInt8>,   &kiln::describe<GlobalAveragePoolInt8>,
};

}  // namespace

KILN_DEFINE_PLUGIN("kiln.test.plugin_check", "1.0.0", "kernels that `kiln plugin check` must fail, pass or skip",
                   kKernels)
