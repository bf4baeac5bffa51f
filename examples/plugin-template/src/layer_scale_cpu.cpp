// com.example.cpu.LayerScale: the CPU kernel of com.example::LayerScale (see layer_scale.hpp).
#include "layer_scale.hpp"

namespace example {
namespace {

struct LayerScaleCpu {
  static kiln::KernelSpec spec() { return layer_scale_spec("com.example.cpu.LayerScale", KILN_DEVICE_CPU); }
  static std::string check(const kiln::Node& node) { return layer_scale_check(node); }
  static void infer(const kiln::Node& node, kiln::InferContext& ctx) { layer_scale_infer(node, ctx); }

  // create, and its twin for a plan file: the state from the node, or from the bytes serialize() wrote.
  explicit LayerScaleCpu(const kiln::Node& node) : state(LayerScaleState::from_node(node)) {}
  LayerScaleCpu(const kiln::Node&, const uint8_t* bytes, size_t length)
      : state(LayerScaleState::from_bytes(bytes, length)) {}
  std::vector<uint8_t> serialize() const { return state.serialize(); }

  void execute(kiln::ExecContext& ctx) {
    const kiln::Tensor x = ctx.input(0), y = ctx.output(0);
    const LayerScaleShape s = split_at_axis(x, state);
    const float* in = x.data<const float>();
    float* out = y.data<float>();
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t c = 0; c < s.channels; ++c) {
        const float g = state.gamma[static_cast<size_t>(c)];
        const int64_t row = (o * s.channels + c) * s.inner;
        for (int64_t i = 0; i < s.inner; ++i) out[row + i] = in[row + i] * g;
      }
  }

  LayerScaleState state;
};

}  // namespace

const kiln_kernel_desc* layer_scale_cpu_kernel() { return kiln::describe<LayerScaleCpu>(); }

}  // namespace example
