#include "common/conv_int8_space_to_depth.hpp"

#include <algorithm>
#include <optional>

#include "common/conv_int8_engine_tuning.hpp"
#include "common/movement_copy.hpp"
#include "common/pad_channels.hpp"

namespace kiln::cuda {

namespace {

// Whether `t` can be read or written by the kernel in place: dense channels-last, 8-byte aligned.
bool kernel_ready(const ImageDims& t, const void* data) {
  return t.is(KILN_LAYOUT_NHWC) && reinterpret_cast<uintptr_t>(data) % 8 == 0;
}

ImageDims nhwc(const ImageDims& like) {
  return ImageDims::dense({like.dims[0], like.dims[1], like.dims[2], like.dims[3]}, KILN_LAYOUT_NHWC);
}

}  // namespace

std::string ConvInt8SpaceToDepth::unsuitable(const Node& conv) {
  const ValueInfo x = conv.input(0), w = conv.input(1);
  if (!w.has_rank || w.rank() != 4 || !w.shape_known()) return "W's dims are not known";
  if (w.dims[1] * kBlock * kBlock > kChannels)
    return std::to_string(w.dims[1]) + " input channels (at most " + std::to_string(kChannels / (kBlock * kBlock)) + ")";
  if (w.dims[0] % 8 != 0) return std::to_string(w.dims[0]) + " output channels, not a multiple of 8";
  if (conv.attr_int("group", 1) != 1) return "a grouped convolution";
  if (!x.has_rank || x.rank() != 4 || x.dims[2] <= 0 || x.dims[3] <= 0) return "X's height and width are not known";
  const std::vector<int64_t> strides = conv.has("strides") ? conv.attr_ints("strides") : std::vector<int64_t>{1, 1};
  const std::vector<int64_t> dilations = conv.has("dilations") ? conv.attr_ints("dilations") : std::vector<int64_t>{1, 1};
  if (strides != std::vector<int64_t>{kBlock, kBlock}) return "strides other than 2x2";
  if (dilations != std::vector<int64_t>{1, 1}) return "a dilated window";
  return "";
}

std::string ConvInt8SpaceToDepth::ends_reason(const ValueInfo& y, const ValueInfo* residual) {
  const auto symmetric_int8 = [](const ValueInfo& v) {
    return v.dtype == KILN_DTYPE_UNDEFINED ||
           (v.dtype == KILN_DTYPE_INT8 && (v.quant.zero_points.empty() || v.quant.zero_points[0] == 0));
  };
  if (!symmetric_int8(y)) return std::string("a few-channel first layer writes symmetric int8 Y only (Y is ") + dtype_name(y.dtype) + ")";
  if (residual && !symmetric_int8(*residual)) return "a few-channel first layer reads a symmetric int8 residual only";
  return "";
}

ConvInt8SpaceToDepth::ConvInt8SpaceToDepth(const Node& node, const ConvAttributes& attrs, const Int8ConvWeights& weights,
                                           const std::vector<float>& scale, const std::vector<float>& bias,
                                           const ConvInt8ImmaArgs& constants, int residual_input, const std::string& label)
    : label_(label), residual_input_(residual_input), constants_(constants) {
  const ValueInfo x = node.input(0);
  if (!x.has_rank || x.rank() != 4 || x.dims[2] <= 0 || x.dims[3] <= 0)
    fail_unsupported(label_ + ": the space-to-depth path needs X's height and width when created");
  in_h_ = x.dims[2], in_w_ = x.dims[3], k_ = weights.dims[0];
  window_ = attrs.window(in_h_, in_w_, weights.dims);
  for (int d = 0; d < 2; ++d) packed_[d] = PackedWindowDim::of(window_.kernel[d], window_.pad[d]);
  weight_ = DeviceBuffer(space_to_depth_weights(weights.krsc, weights.dims, window_.pad[0], window_.pad[1], kChannels));
  scale_ = DeviceBuffer(scale);
  bias_ = DeviceBuffer(bias);
  constants_.w = weight_.as<const int8_t>();
  constants_.scale = scale_.as<const float>();
  constants_.bias = bias_.as<const float>();
  ConvInt8ImmaArgs timed = constants_;
  timed.shape = shape_for(x.dims[0] > 0 ? x.dims[0] : 1);
  std::string note;
  tile_ = tune_conv_int8_own_tile(timed, residual_input_ >= 0, false, &note);
  node.note("few input channels: X packed 2x2 into " + std::to_string(kChannels) + " channels, the " +
            std::to_string(window_.kernel[0]) + "x" + std::to_string(window_.kernel[1]) + "/2 window as " +
            std::to_string(packed_[0].kernel) + "x" + std::to_string(packed_[1].kernel) + "/1 on kiln's int8 kernel: " + note);
}

ConvInt8ImmaShape ConvInt8SpaceToDepth::shape_for(int64_t n) const {
  ConvInt8ImmaShape s;
  s.n = n, s.h = (in_h_ + kBlock - 1) / kBlock, s.w = (in_w_ + kBlock - 1) / kBlock, s.c = kChannels;
  s.k = k_, s.r = packed_[0].kernel, s.s = packed_[1].kernel;
  s.pad[0] = packed_[0].pad, s.pad[1] = packed_[1].pad;
  s.oh = window_.out[0], s.ow = window_.out[1];
  return s;
}

ConvInt8SpaceToDepth::Layout ConvInt8SpaceToDepth::layout_for(int64_t n, bool stage_y, bool stage_z) const {
  const ConvInt8ImmaShape s = shape_for(n);
  const size_t packed = workspace_aligned(static_cast<size_t>(s.n * s.h * s.w * s.c));
  const size_t y = workspace_aligned(static_cast<size_t>(s.n * s.oh * s.ow * s.k));
  Layout l;
  l.total = packed;
  if (stage_y) l.y_stage = l.total, l.total += y;
  if (stage_z) l.z_stage = l.total, l.total += y;
  return l;
}

size_t ConvInt8SpaceToDepth::workspace_size(const ExecContext& ctx) const {
  const int64_t n = ctx.input(0).shape().at(0);
  // Without the output tensors at hand, room for staging both.
  const bool stage_y = ctx.num_outputs() == 0 || !kernel_ready(ImageDims::of(ctx.output(0)), ctx.output(0).raw());
  const bool stage_z = residual_input_ >= 0 && !kernel_ready(ImageDims::of(ctx.input(residual_input_)), ctx.input(residual_input_).raw());
  return layout_for(n, stage_y, stage_z).total;
}

void ConvInt8SpaceToDepth::execute(const ExecContext& ctx) const {
  const Tensor x = ctx.input(0), y = ctx.output(0);
  const ImageDims xd = ImageDims::of(x), yd = ImageDims::of(y);
  if (xd.dims[2] != in_h_ || xd.dims[3] != in_w_)
    fail_invalid(label_ + ": X is " + xd.text() + "; the layer was created for " + std::to_string(in_h_) + "x" +
                 std::to_string(in_w_) + " images");
  const ConvInt8ImmaShape shape = shape_for(xd.dims[0]);
  if (yd.dims != std::array<int64_t, 4>{shape.n, shape.k, shape.oh, shape.ow})
    fail_invalid(label_ + ": Y is " + yd.text() + ", the convolution of X " + xd.text() + " is " + std::to_string(shape.n) + "x" +
                 std::to_string(shape.k) + "x" + std::to_string(shape.oh) + "x" + std::to_string(shape.ow));
  if (yd.count() == 0) return;
  const auto stream = static_cast<cudaStream_t>(ctx.stream());
  const bool stage_y = !kernel_ready(yd, y.raw());
  std::optional<ImageDims> zd;
  if (residual_input_ >= 0) zd = ImageDims::of(ctx.input(residual_input_));
  if (zd && zd->dims != yd.dims) fail_invalid(label_ + ": the Add operand " + zd->text() + " does not have Y's shape " + yd.text());
  const bool stage_z = zd && !kernel_ready(*zd, ctx.input(residual_input_).raw());
  const Layout l = layout_for(xd.dims[0], stage_y, stage_z);
  if (ctx.workspace_bytes() < l.total)
    fail_invalid(label_ + ": the workspace has " + std::to_string(ctx.workspace_bytes()) + " bytes, the packed X needs " +
                 std::to_string(l.total));
  char* workspace = static_cast<char*>(ctx.workspace());
  space_to_depth(x.raw(), xd, 1, kBlock, workspace, kChannels, stream);
  ConvInt8ImmaArgs a = constants_;
  a.shape = shape;
  a.x = reinterpret_cast<const int8_t*>(workspace);
  a.y = stage_y ? reinterpret_cast<int8_t*>(workspace + l.y_stage) : static_cast<int8_t*>(y.raw());
  if (zd) {
    const void* z = ctx.input(residual_input_).raw();
    if (stage_z) {
      movement::copy_image(z, *zd, workspace + l.z_stage, nhwc(*zd), 1, stream);
      z = workspace + l.z_stage;
    }
    a.z = static_cast<const int8_t*>(z);
  }
  launch_conv_int8_imma(a, tile_, stream);
  if (stage_y) movement::copy_image(a.y, nhwc(yd), y.raw(), yd, 1, stream);
}

}  // namespace kiln::cuda
