// com.example::LayerScale: Y = X * gamma along one axis, the learned per-channel scale of CaiT and ConvNeXt.
//
//   inputs     X      float32, rank >= 1
//              gamma  float32 [C], a constant (an initializer): C = X.dims[axis]
//   attribute  axis   int, default 1 (negative counts from the end): the dim of X that gamma runs along
//   output     Y      X's dtype and shape; Y[..., c, ...] = X[..., c, ...] * gamma[c]
//
// What the pack's two kernels share: the op's spec, its constraint check, its shape function and the prepared
// state (gamma, read once in create and kept in plan files). Each kernel is a file of its own.
#ifndef EXAMPLE_LAYER_SCALE_HPP
#define EXAMPLE_LAYER_SCALE_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/plugin.hpp"

namespace example {

// The spec both kernels declare: com.example::LayerScale, opset 1, float32 in and out; `name` and `device` are
// the kernel's own.
kiln::KernelSpec layer_scale_spec(const char* name, kiln_device device);

// "" when the node is one these kernels run; otherwise the reason they decline it (`kiln run --verbose`).
std::string layer_scale_check(const kiln::Node& node);

// Y has X's dtype and shape. A custom op must bring its shape function: ONNX knows nothing of it.
void layer_scale_infer(const kiln::Node& node, kiln::InferContext& ctx);

// What create prepares from the node, and what a plan file keeps of it.
struct LayerScaleState {
  int64_t axis = 1;
  std::vector<float> gamma;

  static LayerScaleState from_node(const kiln::Node& node);
  // The bytes a plan keeps: a format tag, axis, the number of values, the values. from_bytes refuses any other
  // length or tag. Changing this layout makes older plans unreadable: bump the tag, and the pack's version.
  std::vector<uint8_t> serialize() const;
  static LayerScaleState from_bytes(const uint8_t* bytes, size_t length);
};

// X seen as [outer, channels, inner] around the axis: Y[o, c, i] = X[o, c, i] * gamma[c].
struct LayerScaleShape {
  int64_t outer = 1;
  int64_t channels = 1;
  int64_t inner = 1;
};
// Fails (invalid argument) when the axis is outside X's dims or gamma's length is not X's dim there.
LayerScaleShape split_at_axis(const kiln::Tensor& x, const LayerScaleState& state);

// The pack's kernels; src/kernel_table.cpp lists them.
const kiln_kernel_desc* layer_scale_cpu_kernel();
const kiln_kernel_desc* layer_scale_cuda_kernel();

}  // namespace example

#endif  // EXAMPLE_LAYER_SCALE_HPP
