// FastConv (common/fast_conv.hpp): checks, packing, the plan state, and the run.
#include "common/fast_conv.hpp"

#include <algorithm>
#include <cstring>

#include "common/conv_fusion.hpp"
#include "common/image_output.hpp"
#include "common/packed_io.hpp"

namespace kiln::cpu_fast {
namespace {

using cpu_ref::activation_of;
using cpu_ref::activation_step;

// Unfolds `channels` planes [h, w] of one image into cols[channels * kh * kw, oh * ow], zeros in the padding.
// Per kernel tap, the output columns whose input lies inside the row are found once, so the copy has no branch.
void im2col_2d(const float* image, int64_t channels, const ConvShape& s, float* cols) {
  const cpu_ref::Window& w = s.w;
  const int64_t h = s.in[0], wd = s.in[1], oh = w.out[0], ow = w.out[1], sh = w.strides[0], sw = w.strides[1];
  float* row = cols;
  for (int64_t c = 0; c < channels; ++c) {
    const float* plane = image + c * h * wd;
    for (int64_t kh = 0; kh < w.kernel[0]; ++kh)
      for (int64_t kw = 0; kw < w.kernel[1]; ++kw, row += oh * ow) {
        const int64_t dy = kh * w.dilations[0] - w.pad_begin[0], dx = kw * w.dilations[1] - w.pad_begin[1];
        // Output columns x with 0 <= x * sw + dx < wd.
        const int64_t lo = std::min(ow, dx >= 0 ? 0 : (-dx + sw - 1) / sw);
        const int64_t hi = std::max(lo, std::min(ow, wd - 1 - dx < 0 ? 0 : (wd - 1 - dx) / sw + 1));
        for (int64_t y = 0; y < oh; ++y) {
          float* out = row + y * ow;
          const int64_t iy = y * sh + dy;
          if (iy < 0 || iy >= h) {
            std::fill(out, out + ow, 0.f);
            continue;
          }
          const float* in = plane + iy * wd + dx;
          std::fill(out, out + lo, 0.f);
          if (sw == 1) std::memcpy(out + lo, in + lo, static_cast<size_t>(hi - lo) * sizeof(float));
          else
            for (int64_t x = lo; x < hi; ++x) out[x] = in[x * sw];
          std::fill(out + hi, out + ow, 0.f);
        }
      }
  }
}

}  // namespace

std::string FastConv::conv_reason(const Node& conv) {
  const ValueInfo x = conv.input(0), w = conv.input(1);
  if (!x.has_rank || x.rank() != 4 || !w.has_rank || w.rank() != 4)
    return "the fast convolution is 2-D (X and W of rank 4); other ranks go to the reference pack";
  if (!w.data || !w.shape_known()) return "W '" + w.name + "' is not a constant: the fast convolution packs it once, when the plan is built";
  if (conv.has_input(2) && !conv.input(2).data) return "B '" + conv.input(2).name + "' is not a constant";
  return "";
}

std::string FastConv::chain_reason(const Node& fused) {
  if (const std::string why = conv_reason(fused_steps(fused)[0].node); !why.empty()) return why;
  return cpu_ref::conv_fused_reason(fused);
}

FastConv::FastConv(const Node& node, const std::vector<FusedStep>& steps, int)
    : attrs_(steps[0].node),
      activation_(activation_of(steps)),
      weight_dims_(steps[0].node.input(1).dims),
      stack_(node.attr_ints(cpu_ref::kStack, {})) {
  if (const auto add = step_named(steps, "Add")) add_input_ = add->fused_input(add->other_input());
  const int64_t maps = weight_dims_.at(0), group = attrs_.group;
  if (group <= 0 || maps % group) fail_invalid("Conv: group " + std::to_string(group) + " does not divide " + std::to_string(maps) + " output channels");
}

std::vector<int64_t> FastConv::block_rows() const {
  return stack_.empty() ? std::vector<int64_t>(static_cast<size_t>(attrs_.group), weight_dims_[0] / attrs_.group) : stack_;
}

int64_t FastConv::depth() const { return weight_dims_[1] * weight_dims_[2] * weight_dims_[3]; }

FastConv::FastConv(const Node& node, const std::vector<FusedStep>& steps) : FastConv(node, steps, 0) {
  const Node& conv = steps[0].node;
  const int64_t maps = weight_dims_[0];
  std::vector<float> weight;
  if (const auto bn = step_named(steps, "BatchNormalization")) {
    const cpu_ref::FoldedConv folded(conv, bn->node, "ConvFused");
    weight.assign(folded.weight.begin(), folded.weight.end());
    bias_.assign(folded.bias.begin(), folded.bias.end());
  } else {
    weight = cpu_ref::values_as<float>(conv.input(1), "Conv");
    bias_ = conv.has_input(2) ? cpu_ref::values_as<float>(conv.input(2), "Conv") : std::vector<float>(maps, 0.f);
  }
  if (static_cast<int64_t>(bias_.size()) != maps)
    fail_invalid("Conv: B has " + std::to_string(bias_.size()) + " values for " + std::to_string(maps) + " output channels");
  int64_t row = 0;
  for (int64_t rows : block_rows()) {
    weights_.emplace_back(Side::kLeft, Matrix{weight.data() + row * depth(), depth(), false}, rows, depth());
    row += rows;
  }
}

FastConv::FastConv(const Node& node, const std::vector<FusedStep>& steps, const uint8_t* bytes, size_t length)
    : FastConv(node, steps, 0) {
  StateReader in(bytes, length, "kiln.cpu_fast Conv '" + node.name() + "'");
  const std::vector<int64_t> rows = block_rows();
  const int64_t blocks = in.int_value();
  if (blocks != static_cast<int64_t>(rows.size()))
    fail_invalid("kiln.cpu_fast Conv: the plan's state has " + std::to_string(blocks) + " blocks of W, the node " + std::to_string(rows.size()));
  for (int64_t r : rows) weights_.push_back(in.packed(Side::kLeft, r, depth()));
  bias_ = in.floats();
  if (static_cast<int64_t>(bias_.size()) != weight_dims_[0]) fail_invalid("kiln.cpu_fast Conv: the plan's bias does not match W");
  in.finish();
}

std::vector<uint8_t> FastConv::serialize() const {
  StateWriter out;
  out.put(static_cast<int64_t>(weights_.size()));
  for (const PackedMatrix& w : weights_) out.put(w);
  out.put(bias_);
  return out.take();
}

std::string FastConv::packing_note() const {
  const PackedMatrix& w = weights_[0];
  return "W packed once into " + std::to_string(kMR) + "x" + std::to_string(kNR) + " SGEMM panels: " +
         std::to_string(weights_.size()) + (stack_.empty() ? " group(s)" : " stacked siblings") + " of " +
         std::to_string(w.rows) + "x" + std::to_string(w.cols) +
         " (" + std::to_string(weights_.size() * w.data.size() * sizeof(float) / 1024) + " KiB in the plan); sgemm path here: " + sgemm_isa();
}

ConvShape FastConv::shape(const ExecContext& ctx) const { return attrs_.shape(ctx.input(0).shape(), weight_dims_); }

size_t FastConv::workspace_size(const ExecContext& ctx) const {
  const ConvShape s = shape(ctx);
  const Operand a{&weights_[0], {}}, b{nullptr, {}};
  const int64_t cols = s.pointwise ? 0 : s.cg * s.kernel_size * s.out_size;
  return static_cast<size_t>(cols + sgemm_scratch_floats(s.mg, s.out_size, depth(), a, b)) * sizeof(float);
}

void FastConv::execute(ExecContext& ctx) const {
  const Tensor x = ctx.input(0), y = ctx.output(0);
  const ConvShape s = shape(ctx);
  if (x.dtype() != KILN_DTYPE_FLOAT32 || y.dtype() != KILN_DTYPE_FLOAT32) fail_invalid("kiln.cpu_fast Conv: X and Y must be float32");
  if (ctx.workspace_bytes() < workspace_size(ctx)) fail_invalid("kiln.cpu_fast Conv: the workspace is smaller than asked for");
  const int64_t size = s.maps * s.out_size;
  // The Add operand, as stored when it has Y's shape (a residual), else broadcast to it once per run.
  const float* addend = nullptr;
  std::vector<float> broadcast;
  if (add_input_ >= 0) {
    const Tensor t = ctx.input(add_input_);
    if (t.dtype() != KILN_DTYPE_FLOAT32) fail_invalid("kiln.cpu_fast ConvFused: the Add operand must be float32");
    if (t.shape() == y.shape()) {
      addend = t.data<float>();
    } else {
      broadcast.resize(static_cast<size_t>(y.numel()));
      cpu_ref::for_each_broadcast<1>(y.shape(), {t.shape()}, [&](int64_t i, const std::array<int64_t, 1>& at) {
        broadcast[static_cast<size_t>(i)] = t.data<float>()[at[0]];
      });
      addend = broadcast.data();
    }
  }
  if (ctx.num_outputs() != static_cast<int>(weights_.size()) && !stack_.empty())
    fail_invalid("kiln.cpu_fast ConvFused: a stacked node needs one output per sibling");
  float* cols = static_cast<float*>(ctx.workspace());
  float* scratch = cols + (s.pointwise ? 0 : s.cg * s.kernel_size * s.out_size);
  std::vector<cpu_ref::ImageOutput<float>> images;
  for (int k = 0; k < (stack_.empty() ? 1 : ctx.num_outputs()); ++k) images.emplace_back(ctx.output(k));
  for (int64_t n = 0; n < s.batch; ++n) {
    int64_t row = 0;  // the first output channel of block b
    for (size_t b = 0; b < weights_.size(); row += weights_[b].rows, ++b) {
      // A group's block reads that group's channels; stacked siblings all read the whole image, unfolded once.
      const int64_t g = stack_.empty() ? static_cast<int64_t>(b) : 0, rows = weights_[b].rows;
      const float* image = x.data<float>() + (n * s.channels + g * s.cg) * s.in_size;
      if (!s.pointwise && (stack_.empty() || b == 0)) im2col_2d(image, s.cg, s, cols);
      float* out = stack_.empty() ? images[0].image(n, size) + row * s.out_size : images[b].image(n, rows * s.out_size);
      sgemm(rows, s.out_size, depth(), Operand{&weights_[b], {}}, Operand{nullptr, Matrix{s.pointwise ? image : cols, s.out_size, false}},
            out, s.out_size, scratch);
      // The unfused order: (conv + bias) + addend, then the activation.
      for (int64_t m = 0; m < rows; ++m) {
        float* values = out + m * s.out_size;
        const float bias = bias_[static_cast<size_t>(row + m)];
        const float* add = addend ? addend + n * size + (row + m) * s.out_size : nullptr;
        if (add)
          for (int64_t o = 0; o < s.out_size; ++o) values[o] = values[o] + bias + add[o];
        else
          for (int64_t o = 0; o < s.out_size; ++o) values[o] += bias;
      }
      activation_.apply(out, rows * s.out_size);
    }
  }
  for (cpu_ref::ImageOutput<float>& image : images) image.finish();
}

}  // namespace kiln::cpu_fast
