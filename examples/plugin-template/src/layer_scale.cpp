// com.example::LayerScale: the spec, check, shape function and prepared state both kernels share.
#include "layer_scale.hpp"

#include <cstring>

namespace example {

namespace {

// The serialized state: u32 tag, i64 axis, u64 count, then count float32 values (host byte order).
constexpr uint32_t kStateTag = 0x3143534Cu;  // "LSC1": format 1
constexpr size_t kTagAt = 0, kAxisAt = 4, kCountAt = 12, kHeaderBytes = 20;

// The axis counted from 0, or -1 when it names no dim of a rank-`rank` X.
int64_t normalized_axis(int64_t axis, int64_t rank) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : -1;
}

}  // namespace

kiln::KernelSpec layer_scale_spec(const char* name, kiln_device device) {
  kiln::KernelSpec s;
  s.name = name;
  s.domain = "com.example";
  s.op_type = "LayerScale";
  s.opset_min = 1;
  s.opset_max = 1;
  s.device = device;
  s.inputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32)), kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
  s.outputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
  return s;
}

std::string layer_scale_check(const kiln::Node& node) {
  const kiln::ValueInfo gamma = node.input(1);
  if (!gamma.data) return "gamma ('" + gamma.name + "') is computed; these kernels need a constant (an initializer)";
  if (gamma.rank() != 1) return "gamma must be 1-D, it has rank " + std::to_string(gamma.rank());
  const kiln::ValueInfo x = node.input(0);
  if (!x.has_rank) return "";  // execute checks the shapes it is given
  const int64_t axis = node.attr_int("axis", 1);
  const int64_t a = normalized_axis(axis, x.rank());
  if (a < 0) return "axis " + std::to_string(axis) + " names no dim of X, which has " + std::to_string(x.rank());
  const int64_t channels = x.dims[static_cast<size_t>(a)];
  if (channels >= 0 && channels != gamma.numel())
    return "gamma has " + std::to_string(gamma.numel()) + " values, but dim " + std::to_string(a) + " of X is " +
           std::to_string(channels);
  return "";
}

void layer_scale_infer(const kiln::Node&, kiln::InferContext& ctx) {
  const kiln::ValueInfo x = ctx.input(0);
  if (x.has_rank) ctx.set_output(0, x.dtype, x.dims);
  else ctx.set_output_unknown_rank(0, x.dtype);
}

LayerScaleState LayerScaleState::from_node(const kiln::Node& node) {
  const kiln::ValueInfo gamma = node.input(1);
  if (!gamma.data) kiln::fail_invalid("LayerScale: gamma must be a constant");
  LayerScaleState state;
  state.axis = node.attr_int("axis", 1);
  state.gamma.assign(gamma.as<float>(), gamma.as<float>() + gamma.numel());
  return state;
}

std::vector<uint8_t> LayerScaleState::serialize() const {
  const uint64_t count = gamma.size();
  std::vector<uint8_t> bytes(kHeaderBytes + count * sizeof(float));
  std::memcpy(bytes.data() + kTagAt, &kStateTag, sizeof kStateTag);
  std::memcpy(bytes.data() + kAxisAt, &axis, sizeof axis);
  std::memcpy(bytes.data() + kCountAt, &count, sizeof count);
  if (count) std::memcpy(bytes.data() + kHeaderBytes, gamma.data(), count * sizeof(float));
  return bytes;
}

LayerScaleState LayerScaleState::from_bytes(const uint8_t* bytes, size_t length) {
  LayerScaleState state;
  uint32_t tag = 0;
  uint64_t count = 0;
  if (length >= kHeaderBytes) {
    std::memcpy(&tag, bytes + kTagAt, sizeof tag);
    std::memcpy(&state.axis, bytes + kAxisAt, sizeof state.axis);
    std::memcpy(&count, bytes + kCountAt, sizeof count);
  }
  if (length < kHeaderBytes || tag != kStateTag || count > (length - kHeaderBytes) / sizeof(float) ||
      length != kHeaderBytes + count * sizeof(float))
    kiln::fail_invalid("LayerScale: the plan's serialized state is not format LSC1 (" + std::to_string(length) +
                       " bytes); rebuild the plan");
  state.gamma.resize(count);
  if (count) std::memcpy(state.gamma.data(), bytes + kHeaderBytes, count * sizeof(float));
  return state;
}

LayerScaleShape split_at_axis(const kiln::Tensor& x, const LayerScaleState& state) {
  const int64_t a = normalized_axis(state.axis, x.rank());
  if (a < 0)
    kiln::fail_invalid("LayerScale: axis " + std::to_string(state.axis) + " names no dim of X, which has " +
                       std::to_string(x.rank()));
  LayerScaleShape s;
  s.channels = x.dim(static_cast<int>(a));
  if (s.channels != static_cast<int64_t>(state.gamma.size()))
    kiln::fail_invalid("LayerScale: gamma has " + std::to_string(state.gamma.size()) + " values, but dim " +
                       std::to_string(a) + " of X is " + std::to_string(s.channels));
  for (int d = 0; d < a; ++d) s.outer *= x.dim(d);
  for (int d = static_cast<int>(a) + 1; d < x.rank(); ++d) s.inner *= x.dim(d);
  return s;
}

}  // namespace example
