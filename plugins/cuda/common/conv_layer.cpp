#include "common/conv_layer.hpp"

#include <algorithm>

#include "common/conv_weights.hpp"
#include "common/host_values.hpp"
#include "common/pad_channels.hpp"

namespace kiln::cuda {

namespace {

// The largest workspace a call with unplanned shapes asks for.
constexpr size_t kMaxUnplannedWorkspace = size_t{256} << 20;

bool float_dtype(kiln_dtype dtype) { return dtype == KILN_DTYPE_FLOAT32 || dtype == KILN_DTYPE_FLOAT16; }

// Input channels below this are padded with zeros to it (FP16): measured on an H100 for ResNet-50's 7x7 stem at
// batch 256, 0.89 ms with 3 channels, 0.45 ms with 4, 1.50 ms with 8 (benchmarks/gpu/cudnn_stem_probe.cpp).
constexpr int64_t kPaddedChannels = 4;

}  // namespace

ConvLayer::ConvLayer(const Node& node, const ConvRecipe& recipe)
    : attrs_(recipe.conv),
      label_(node.op_type() + " '" + node.name() + "'"),
      dtype_(node.input(0).dtype),
      residual_input_(recipe.residual_input),
      relu_(recipe.relu) {
  if (!float_dtype(dtype_)) fail_unsupported(label_ + ": X is " + dtype_name(dtype_) + "; float32 or float16 runs here");
  if (node.output(0).dtype != dtype_) fail_invalid(label_ + ": Y's dtype differs from X's");
  if (residual_input_ >= 0 && node.input(residual_input_).dtype != dtype_)
    fail_invalid(label_ + ": the Add operand is " + dtype_name(node.input(residual_input_).dtype) + ", X is " + dtype_name(dtype_));
  const ConvWeights weights = ConvWeights::read(recipe.conv, recipe.batch_norm ? &*recipe.batch_norm : nullptr);
  filter_ = weights.dims;
  filter_nhwc_ = node.input(0).layout == KILN_LAYOUT_NHWC;
  has_bias_ = weights.has_bias;
  weight_ = upload_as(weights.laid_out(filter_nhwc_), dtype_);
  bias_ = upload_as(weights.bias, dtype_);
  bias_f32_ = upload_as(weights.bias, KILN_DTYPE_FLOAT32);
  if (dtype_ == KILN_DTYPE_FLOAT16 && attrs_.group() == 1 && filter_[1] < kPaddedChannels) {
    c_padded_ = kPaddedChannels;
    padded_weight_ = upload_as(weights.padded_krsc(c_padded_), dtype_);
  }
  plan(node);
}

void ConvLayer::plan(const Node& node) {
  const ValueInfo x = node.input(0), y = node.output(0);
  const bool known = x.shape_known() && y.shape_known() && (residual_input_ < 0 || node.input(residual_input_).shape_known());
  if (!known) {
    node.note("shapes unknown when created: the cuDNN algorithm is picked per call (fused IMPLICIT_PRECOMP_GEMM "
              "first); nothing timed");
    return;
  }
  Shapes s{ImageDims::dense(x.dims, x.layout), ImageDims::dense(y.dims, y.layout), std::nullopt};
  if (s.y.count() == 0) {  // an empty batch: cuDNN takes no empty tensor descriptors, and execute does nothing
    node.note("empty tensors: nothing to compute, nothing timed");
    return;
  }
  if (residual_input_ >= 0) {
    const ValueInfo z = node.input(residual_input_);
    s.z = ImageDims::dense(z.dims, z.layout);
  }
  ConvProblem problem = problem_for(s);
  ConvBuffers weights;
  weights.w = weight_.get(), weights.bias = bias_.get(), weights.bias_f32 = bias_f32_.as<float>();
  if (c_padded_) {
    problem.x = ImageDims::dense({s.x.dims[0], c_padded_, s.x.dims[2], s.x.dims[3]}, KILN_LAYOUT_NHWC);
    problem.filter[1] = c_padded_;
    problem.filter_nhwc = true;
    weights.w = padded_weight_.get();
    node.note("X's " + std::to_string(filter_[1]) + " channels padded with zeros to " + std::to_string(c_padded_) +
              " in a channels-last copy per call (cuDNN's FP16 first-layer convolution runs 2x faster on 4)");
  }
  planned_x_ = s.x;
  descriptors_ = std::make_unique<ConvDescriptors>(problem);
  std::string note;
  choice_ = tune_conv(problem, *descriptors_, weights, label_, &note);
  node.note(note);
  planned_ = problem;
}

ConvLayer::Shapes ConvLayer::shapes_of(const ExecContext& ctx) const {
  Shapes s;
  s.x = ImageDims::of(ctx.input(0));
  if (ctx.num_outputs() > 0) s.y = ImageDims::of(ctx.output(0));
  else s.y = ImageDims::dense(attrs_.output_dims({s.x.dims[0], s.x.dims[1], s.x.dims[2], s.x.dims[3]}, filter_), ctx.input(0).layout());
  if (residual_input_ >= 0) s.z = ImageDims::of(ctx.input(residual_input_));
  return s;
}

ConvProblem ConvLayer::problem_for(const Shapes& s) const {
  if (s.z && s.z->dims != s.y.dims)
    fail_invalid(label_ + ": the Add operand " + s.z->text() + " does not have the convolution's output shape " + s.y.text());
  ConvProblem p;
  p.dtype = dtype_;
  p.x = s.x, p.y = s.y, p.z = s.z;
  p.filter = filter_;
  p.filter_nhwc = filter_nhwc_;
  p.window = attrs_.window(s.x.dims[2], s.x.dims[3], filter_);
  p.group = attrs_.group();
  p.has_bias = has_bias_;
  p.relu = relu_;
  return p;
}

bool ConvLayer::planned_for(const Shapes& s) const {
  return planned_ && planned_x_ == s.x && planned_->y == s.y && planned_->z == s.z;
}

size_t ConvLayer::padded_x_bytes(const Shapes& s) const {
  if (!c_padded_) return 0;
  return workspace_aligned(static_cast<size_t>(s.x.dims[0] * c_padded_ * s.x.dims[2] * s.x.dims[3]) * dtype_size(dtype_));
}

size_t ConvLayer::workspace_size(const ExecContext& ctx) const {
  const Shapes s = shapes_of(ctx);
  if (s.y.count() == 0) return 0;
  if (planned_for(s)) return padded_x_bytes(s) + choice_.workspace;
  // Room for every way run_unplanned may try, so that one cuDNN declines does not leave the next short.
  const ConvDescriptors d(problem_for(s));
  size_t bytes = 0;
  for (const ConvChoice& c : untimed_choices(d, kMaxUnplannedWorkspace)) bytes = std::max(bytes, c.workspace);
  return bytes;
}

void ConvLayer::execute(const ExecContext& ctx) const {
  const Shapes s = shapes_of(ctx);
  if (s.y.count() == 0) return;
  ConvBuffers b;
  b.x = ctx.input(0).raw();
  b.w = weight_.get(), b.bias = bias_.get(), b.bias_f32 = bias_f32_.as<float>();
  b.z = residual_input_ >= 0 ? ctx.input(residual_input_).raw() : nullptr;
  b.y = ctx.output(0).raw();
  b.workspace = ctx.workspace(), b.workspace_bytes = ctx.workspace_bytes();
  const auto stream = static_cast<cudaStream_t>(ctx.stream());
  if (!planned_for(s)) return run_unplanned(problem_for(s), b, stream);
  if (const size_t padded = padded_x_bytes(s)) {
    if (b.workspace_bytes < padded) fail_invalid(label_ + ": the workspace has no room for X's padded copy");
    pad_channels(b.x, s.x, dtype_size(dtype_), b.workspace, c_padded_, stream);
    b.x = b.workspace;
    b.w = padded_weight_.get();
    b.workspace = static_cast<char*>(b.workspace) + padded;
    b.workspace_bytes -= padded;
  }
  if (b.workspace_bytes < choice_.workspace)
    fail_invalid(label_ + ": the workspace has " + std::to_string(b.workspace_bytes) + " bytes, " + choice_.text() +
                 " needs " + std::to_string(choice_.workspace));
  const cudnnStatus_t status = run_conv(*planned_, *descriptors_, choice_, b, stream);
  if (status != CUDNN_STATUS_SUCCESS)
    fail(KILN_ERROR_INTERNAL, label_ + ": cuDNN " + choice_.text() + ": " + cudnnGetErrorString(status));
}

void ConvLayer::run_unplanned(const ConvProblem& problem, const ConvBuffers& b, cudaStream_t stream) const {
  const ConvDescriptors d(problem);
  cudnnStatus_t status = CUDNN_STATUS_NOT_SUPPORTED;
  // A declined call enqueues nothing, so trying the next way is safe (also while a CUDA graph is captured).
  for (const ConvChoice& c : untimed_choices(d, b.workspace_bytes)) {
    status = run_conv(problem, d, c, b, stream);
    if (status == CUDNN_STATUS_SUCCESS) return;
  }
  fail_unsupported(label_ + ": cuDNN runs no algorithm tried for " + problem.text() + " (last: " +
                   cudnnGetErrorString(status) + ")");
}

}  // namespace kiln::cuda
