#include "common/conv_int8_layer.hpp"

#include <algorithm>

#include "common/conv_int8_engine_tuning.hpp"
#include "common/conv_int8_weights.hpp"
#include "common/handles.hpp"
#include "common/movement_copy.hpp"

namespace kiln::cuda {

namespace {

// The largest cuDNN workspace a call with unplanned shapes asks for.
constexpr size_t kMaxUnplannedWorkspace = size_t{256} << 20;

int64_t multiple_of_4(int64_t n) { return (n + 3) / 4 * 4; }

bool float_dtype(kiln_dtype dtype) { return dtype == KILN_DTYPE_FLOAT32 || dtype == KILN_DTYPE_FLOAT16; }

// The grid of an int8 Y or residual; float ones need none.
TensorQuant grid_of(const ValueInfo& v, const std::string& what, const std::string& label) {
  if (v.dtype == KILN_DTYPE_INT8) return per_tensor_quant(v, what);
  if (!float_dtype(v.dtype)) fail_unsupported(label + ": " + what + " is " + dtype_name(v.dtype) + "; int8, float32 or float16 run here");
  return TensorQuant{};
}

// Dense NHWC over dims N, C, H, W.
ImageDims nhwc(int64_t n, int64_t c, int64_t h, int64_t w) { return ImageDims::dense({n, c, h, w}, KILN_LAYOUT_NHWC); }

}  // namespace

ConvInt8Layer::ConvInt8Layer(const Node& node, const ConvInt8Recipe& recipe)
    : attrs_(recipe.conv),
      label_(node.op_type() + " '" + node.name() + "' (int8)"),
      residual_input_(recipe.residual_input),
      lo_(recipe.lo),
      hi_(recipe.hi) {
  const ValueInfo x = node.input(0);
  if (x.dtype != KILN_DTYPE_INT8) fail_unsupported(label_ + ": X is " + dtype_name(x.dtype) + "; int8 runs here");
  const TensorQuant x_quant = per_tensor_quant(x, "X");
  if (x_quant.zero_point != 0)
    fail_unsupported(label_ + ": X's zero point is " + std::to_string(x_quant.zero_point) + "; cuDNN's int8 convolution is symmetric");
  if (attrs_.group() != 1) fail_unsupported(label_ + ": grouped INT8 convolutions are not run on cuDNN here");
  y_quant_ = grid_of(node.output(0), "Y", label_);
  if (residual_input_ >= 0) residual_quant_ = grid_of(node.input(residual_input_), "the Add operand", label_);

  const Int8ConvWeights weights = Int8ConvWeights::read(recipe.conv, recipe.batch_norm ? &*recipe.batch_norm : nullptr);
  filter_ = weights.dims;
  has_bias_ = weights.has_bias;
  // x_scale * w_scale[m] in double, rounded once: the factor that turns channel m's integer sums into reals.
  std::vector<float> multiplier(weights.scales.size());
  for (size_t m = 0; m < multiplier.size(); ++m) multiplier[m] = static_cast<float>(static_cast<double>(x_quant.scale) * weights.scales[m]);
  host_multiplier_ = multiplier;  // the fused graph's per-channel factors start from these
  host_bias_ = has_bias_ ? std::vector<float>(weights.bias.begin(), weights.bias.end()) : std::vector<float>(multiplier.size(), 0.0f);
  node.note(weights.own_parameters ? "int8 weights from W's own quantization parameters"
                                   : "int8 weights quantized per output channel (symmetric) when created");
  // A first layer's few channels: cuDNN's int8 engines are slow on them padded (conv_int8_space_to_depth.hpp).
  if (filter_[1] < 16) {
    plan_space_to_depth(node, recipe.conv, weights);
    return;
  }
  k_padded_ = multiple_of_4(filter_[0]);
  c_padded_ = multiple_of_4(filter_[1]);
  weight_ = DeviceBuffer(weights.padded_krsc(k_padded_, c_padded_));
  multiplier_ = DeviceBuffer(multiplier);
  if (has_bias_) bias_ = DeviceBuffer(std::vector<float>(weights.bias.begin(), weights.bias.end()));
  if (k_padded_ != filter_[0] || c_padded_ != filter_[1])
    node.note("channels padded with zeros to multiples of 4 for cuDNN: C " + std::to_string(filter_[1]) + " -> " +
              std::to_string(c_padded_) + ", K " + std::to_string(filter_[0]) + " -> " + std::to_string(k_padded_));
  if (x.layout != KILN_LAYOUT_NHWC) node.note("X is not stored channels-last: each call copies it NHWC into the workspace first");
  plan(node);
}

void ConvInt8Layer::plan(const Node& node) {
  const ValueInfo x = node.input(0), y = node.output(0);
  if (!x.shape_known() || !y.shape_known()) {
    node.note("shapes unknown when created: the cuDNN int8 algorithm is picked per call, in cuDNN's heuristic order; nothing timed");
    return;
  }
  Shapes s{ImageDims::dense(x.dims, x.layout), ImageDims::dense(y.dims, y.layout), std::nullopt};
  if (s.y.count() == 0) {  // an empty batch: cuDNN takes no empty tensor descriptors, and execute does nothing
    node.note("empty tensors: nothing to compute, nothing timed");
    return;
  }
  if (residual_input_ >= 0) {
    const ValueInfo z = node.input(residual_input_);
    if (z.shape_known() && z.rank() == 4) s.z = ImageDims::dense(z.dims, z.layout);
  }
  const ConvInt8Problem problem = problem_for(s);
  descriptors_ = std::make_unique<ConvInt8Descriptors>(problem);
  planned_ = problem;
  planned_shapes_ = s;
  plan_graph(node, s);
  if (graph_) return;  // the fused graph runs every planned call: the legacy algorithms need no timing
  std::string note;
  choice_ = tune_conv_int8(problem, *descriptors_, weight_.get(), label_, &note);
  node.note(note);
}

std::string ConvInt8Layer::graph_unsuitable(const Node& node, const Shapes& s) const {
  if (k_padded_ != filter_[0]) return "output channels " + std::to_string(filter_[0]) + " are not a multiple of 4";
  if (!s.y.is(KILN_LAYOUT_NHWC)) return "Y is not stored dense channels-last";
  const kiln_dtype y = node.output(0).dtype;
  if (y == KILN_DTYPE_INT8 && y_quant_.zero_point != 0) return "Y has a zero point";
  if (residual_input_ >= 0) {
    if (!s.z || !s.z->is(KILN_LAYOUT_NHWC)) return "the residual is not stored dense channels-last";
    if (node.input(residual_input_).dtype == KILN_DTYPE_INT8 && residual_quant_.zero_point != 0) return "the residual has a zero point";
  }
  return "";
}

namespace {

cudnnDataType_t cudnn_type(kiln_dtype t) {
  return t == KILN_DTYPE_INT8 ? CUDNN_DATA_INT8 : t == KILN_DTYPE_FLOAT16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
}

}  // namespace

void ConvInt8Layer::plan_graph(const Node& node, const Shapes& s) {
  if (const std::string why = graph_unsuitable(node, s); !why.empty()) {
    node.note("legacy int8 path (float sums, then an epilogue kernel): " + why);
    return;
  }
  ConvInt8GraphSpec spec = requantization(node);
  spec.problem = *planned_;
  std::string why;
  graph_ = ConvInt8Graph::build(cudnn_handle(nullptr), spec, &why);
  if (!graph_ && spec.residual) {  // some engines take the residual's scale only as a tensor
    spec.z_alpha_tensor = true;
    std::string also;
    graph_ = ConvInt8Graph::build(cudnn_handle(nullptr), spec, &also);
    if (!graph_) why += "; with the residual's scale as a tensor: " + also;
  }
  graph_spec_ = spec;
  if (!graph_) {
    node.note("legacy int8 path: " + why);
    return;
  }
  graph_scale_ = DeviceBuffer(in_y_units(node, host_multiplier_));
  graph_bias_ = DeviceBuffer(in_y_units(node, host_bias_));
  graph_z_alpha_ = DeviceBuffer(std::vector<float>{spec.z_alpha});
  ConvInt8GraphBuffers constants;
  constants.w = weight_.get();
  constants.scale = graph_scale_.as<const float>();
  constants.bias = graph_bias_.as<const float>();
  constants.z_alpha = graph_z_alpha_.as<const float>();
  std::optional<ConvInt8ImmaArgs> own = own_kernel_args(node, s, spec);
  std::string tuned;
  engine_ = tune_conv_int8_engine(spec, constants, *graph_, own ? &*own : nullptr, &tuned);
  if (engine_.own_tile >= 0) {
    own_args_ = *own;
  } else if (engine_.graph_config != graph_->config()) {
    std::string why;
    if (std::unique_ptr<ConvInt8Graph> timed = ConvInt8Graph::build(cudnn_handle(nullptr), spec, &why, engine_.graph_config))
      graph_ = std::move(timed);
    else
      tuned += " (did not build here: " + why + "; kept " + graph_->engine() + ")";
  }
  node.note("fused int8 graph: " + tuned + "; workspace " + std::to_string(graph_->workspace()) + " bytes");
  if (!own) node.note("kiln's int8 kernel does not run this layer: " + own_kernel_unsuitable(node, s));
}

std::string ConvInt8Layer::own_kernel_unsuitable(const Node& node, const Shapes& s) const {
  if (node.output(0).dtype != KILN_DTYPE_INT8) return "Y is not int8";
  if (residual_input_ >= 0 && node.input(residual_input_).dtype != KILN_DTYPE_INT8) return "the residual is not int8";
  if (copies_x(s)) return "X is copied first (not dense channels-last, or channels padded)";
  return own_shape(s).unsupported();
}

ConvInt8ImmaShape ConvInt8Layer::own_shape(const Shapes& s) const {
  const ConvWindow& w = planned_->window;
  ConvInt8ImmaShape shape;
  shape.n = s.x.dims[0], shape.c = s.x.dims[1], shape.h = s.x.dims[2], shape.w = s.x.dims[3];
  shape.k = filter_[0], shape.r = filter_[2], shape.s = filter_[3];
  for (int d = 0; d < 2; ++d) shape.stride[d] = w.stride[d], shape.pad[d] = w.pad[d], shape.dilation[d] = w.dilation[d];
  shape.oh = s.y.dims[2], shape.ow = s.y.dims[3];
  return shape;
}

std::optional<ConvInt8ImmaArgs> ConvInt8Layer::own_kernel_args(const Node& node, const Shapes& s,
                                                              const ConvInt8GraphSpec& spec) const {
  if (!own_kernel_unsuitable(node, s).empty()) return std::nullopt;
  ConvInt8ImmaArgs a;
  a.shape = own_shape(s);
  a.w = weight_.as<const int8_t>();
  a.scale = graph_scale_.as<const float>();
  a.bias = graph_bias_.as<const float>();
  set_own_requantization(spec, &a);  // Z itself comes per call (run_own_kernel)
  return a;
}

void ConvInt8Layer::set_own_requantization(const ConvInt8GraphSpec& spec, ConvInt8ImmaArgs* a) {
  a->z_alpha = spec.residual ? spec.z_alpha : 0.0f;
  if (spec.clamp) a->lo = static_cast<float>(spec.lo), a->hi = static_cast<float>(spec.hi);
}

double ConvInt8Layer::y_unit(const Node& node) const {
  return node.output(0).dtype == KILN_DTYPE_INT8 ? 1.0 / y_quant_.scale : 1.0;
}

std::vector<float> ConvInt8Layer::in_y_units(const Node& node, std::vector<float> values) const {
  const double unit = y_unit(node);
  for (float& v : values) v = static_cast<float>(v * unit);
  return values;
}

ConvInt8GraphSpec ConvInt8Layer::requantization(const Node& node) const {
  // Everything after the sums in Y's units: for an int8 Y, divided by its scale, so the final conversion to int8
  // (round to nearest, saturate) is the requantization.
  const double unit = y_unit(node);
  ConvInt8GraphSpec spec;
  spec.y_type = cudnn_type(node.output(0).dtype);
  if (residual_input_ >= 0) {
    const kiln_dtype z_type = node.input(residual_input_).dtype;
    spec.residual = true;
    spec.z_type = cudnn_type(z_type);
    spec.z_alpha = static_cast<float>((z_type == KILN_DTYPE_INT8 ? residual_quant_.scale : 1.0) * unit);
  }
  constexpr double kHuge = 3.0e38;  // an open end of the clamp
  if (lo_ > -kHuge || hi_ < kHuge) {
    spec.clamp = true;
    spec.lo = std::max<double>(lo_, -kHuge) * (lo_ > -kHuge ? unit : 1.0);
    spec.hi = std::min<double>(hi_, kHuge) * (hi_ < kHuge ? unit : 1.0);
  }
  return spec;
}

void ConvInt8Layer::plan_space_to_depth(const Node& node, const Node& conv, const Int8ConvWeights& weights) {
  std::string why = ConvInt8SpaceToDepth::unsuitable(conv);
  // Y's and the residual's dtypes are decided here (grid_of refused any other than int8 and float).
  const ValueInfo residual = residual_input_ >= 0 ? node.input(residual_input_) : ValueInfo{};
  if (why.empty()) why = ConvInt8SpaceToDepth::ends_reason(node.output(0), residual_input_ >= 0 ? &residual : nullptr);
  if (!why.empty()) fail_unsupported(label_ + ": " + std::to_string(filter_[1]) + " input channels run only as a space-to-depth first layer: " + why);
  ConvInt8ImmaArgs constants;
  set_own_requantization(requantization(node), &constants);
  first_layer_ = std::make_unique<ConvInt8SpaceToDepth>(node, attrs_, weights, in_y_units(node, host_multiplier_),
                                                        in_y_units(node, host_bias_), constants, residual_input_, label_);
}

void ConvInt8Layer::run_graph(const ExecContext& ctx, const Shapes& s, cudaStream_t stream) const {
  char* workspace = static_cast<char*>(ctx.workspace());
  const size_t x_bytes = copies_x(s) ? workspace_aligned(static_cast<size_t>(s.x.dims[0] * s.x.dims[2] * s.x.dims[3] * c_padded_)) : 0;
  if (ctx.workspace_bytes() < x_bytes + graph_->workspace())
    fail_invalid(label_ + ": the workspace has " + std::to_string(ctx.workspace_bytes()) + " bytes, the fused graph needs " +
                 std::to_string(x_bytes + graph_->workspace()));
  ConvInt8GraphBuffers b;
  b.x = ctx.input(0).raw();
  if (x_bytes) {
    copy_x(ctx.input(0), s, workspace, stream);
    b.x = workspace;
  }
  b.w = weight_.get();
  b.scale = graph_scale_.as<const float>();
  b.bias = graph_bias_.as<const float>();
  if (residual_input_ >= 0) b.z = ctx.input(residual_input_).raw();
  b.z_alpha = graph_z_alpha_.as<const float>();
  b.y = ctx.output(0).raw();
  b.workspace = graph_->workspace() ? workspace + x_bytes : nullptr;
  if (engine_.own_tile >= 0 && run_own_kernel(b, stream)) return;
  const cudnnHandle_t handle = cudnn_handle(stream);
  const ConvInt8Graph& graph = graph_for(handle, stream);
  const cudnnStatus_t status = graph.run(handle, b);
  if (status != CUDNN_STATUS_SUCCESS)
    fail(KILN_ERROR_INTERNAL, label_ + ": cuDNN int8 graph (" + graph.engine() + "): " + cudnnGetErrorString(status));
}

bool ConvInt8Layer::run_own_kernel(const ConvInt8GraphBuffers& b, cudaStream_t stream) const {
  ConvInt8ImmaArgs a = own_args_;
  a.x = static_cast<const int8_t*>(b.x);
  a.z = residual_input_ >= 0 ? static_cast<const int8_t*>(b.z) : nullptr;
  a.y = static_cast<int8_t*>(b.y);
  if (!conv_int8_imma_aligned(a)) return false;  // the cuDNN graph takes this call
  launch_conv_int8_imma(a, engine_.own_tile, stream);
  return true;
}

const ConvInt8Graph& ConvInt8Layer::graph_for(cudnnHandle_t handle, cudaStream_t stream) const {
  const std::lock_guard<std::mutex> lock(graphs_mutex_);
  auto found = graphs_.find(handle);
  if (found != graphs_.end()) return *found->second;
  cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusNone;
  KILN_CUDA(cudaStreamIsCapturing(stream, &capturing));
  if (capturing != cudaStreamCaptureStatusNone) return *graph_;  // no eager call came first: the create-time plan
  std::string why;
  std::unique_ptr<ConvInt8Graph> built = ConvInt8Graph::build(handle, graph_spec_, &why, graph_->config());
  if (!built) fail(KILN_ERROR_INTERNAL, label_ + ": the int8 graph built at create did not build for this stream: " + why);
  if (built->workspace() > graph_->workspace()) return *graph_;  // the workspace was sized for the create-time plan
  return *(graphs_[handle] = std::move(built));
}

ConvInt8Layer::Shapes ConvInt8Layer::shapes_of(const ExecContext& ctx) const {
  Shapes s;
  const Tensor x = ctx.input(0);
  s.x = ImageDims::of(x);
  if (ctx.num_outputs() > 0) s.y = ImageDims::of(ctx.output(0));
  else s.y = ImageDims::dense(attrs_.output_dims(x.shape(), filter_), x.layout());
  if (residual_input_ >= 0) s.z = ImageDims::of(ctx.input(residual_input_));
  return s;
}

ConvInt8Problem ConvInt8Layer::problem_for(const Shapes& s) const {
  if (s.z && s.z->dims != s.y.dims)
    fail_invalid(label_ + ": the Add operand " + s.z->text() + " does not have the convolution's output shape " + s.y.text());
  const auto& x = s.x.dims;
  const auto& y = s.y.dims;
  if (x[1] != filter_[1] || y[1] != filter_[0])
    fail_invalid(label_ + ": X " + s.x.text() + " and Y " + s.y.text() + " do not fit the weights' channels");
  ConvInt8Problem p;
  p.x = nhwc(x[0], c_padded_, x[2], x[3]);
  p.sums = nhwc(y[0], k_padded_, y[2], y[3]);
  p.filter = {k_padded_, c_padded_, filter_[2], filter_[3]};
  p.window = attrs_.window(x[2], x[3], filter_);
  p.group = attrs_.group();
  return p;
}

ConvInt8Layer::WorkspaceLayout ConvInt8Layer::layout_for(const Shapes& s, size_t cudnn_bytes) const {
  const auto& x = s.x.dims;
  const auto& y = s.y.dims;
  WorkspaceLayout l;
  l.x_copy = workspace_aligned(static_cast<size_t>(y[0] * y[2] * y[3] * k_padded_) * sizeof(float));  // the sums come first
  l.cudnn = l.x_copy + (copies_x(s) ? workspace_aligned(static_cast<size_t>(x[0] * x[2] * x[3] * c_padded_)) : 0);
  l.total = l.cudnn + cudnn_bytes;
  return l;
}

size_t ConvInt8Layer::workspace_size(const ExecContext& ctx) const {
  if (first_layer_) return first_layer_->workspace_size(ctx);
  const Shapes s = shapes_of(ctx);
  if (s.y.count() == 0) return 0;
  if (planned_for(s) && graph_)
    return (copies_x(s) ? workspace_aligned(static_cast<size_t>(s.x.dims[0] * s.x.dims[2] * s.x.dims[3] * c_padded_)) : 0) +
           graph_->workspace();
  if (planned_for(s)) return layout_for(s, choice_.workspace).total;
  // Room for every algorithm run_unplanned may try, so that one cuDNN declines does not leave the next short.
  const ConvInt8Descriptors d(problem_for(s));
  size_t bytes = 0;
  for (const ConvInt8Choice& c : int8_choices(d, kMaxUnplannedWorkspace, nullptr)) bytes = std::max(bytes, c.workspace);
  return layout_for(s, bytes).total;
}

void ConvInt8Layer::copy_x(const Tensor& x, const Shapes& s, void* to, cudaStream_t stream) const {
  const auto& d = s.x.dims;
  const ImageDims padded = nhwc(d[0], c_padded_, d[2], d[3]);
  // The padding channels must read as 0 (they meet zero weights, but uninitialised bytes are no way to start).
  if (c_padded_ != d[1]) KILN_CUDA(cudaMemsetAsync(to, 0, static_cast<size_t>(padded.count()), stream));
  movement::copy_image(x.raw(), s.x, to, padded, 1, stream);
}

void ConvInt8Layer::execute(const ExecContext& ctx) const {
  if (first_layer_) return first_layer_->execute(ctx);
  const Shapes s = shapes_of(ctx);
  if (s.y.count() == 0) return;
  const auto stream = static_cast<cudaStream_t>(ctx.stream());
  if (graph_ && planned_for(s)) return run_graph(ctx, s, stream);
  const WorkspaceLayout l = layout_for(s, 0);
  if (ctx.workspace_bytes() < l.cudnn)
    fail_invalid(label_ + ": the workspace has " + std::to_string(ctx.workspace_bytes()) + " bytes, the sums and X need " +
                 std::to_string(l.cudnn));
  char* workspace = static_cast<char*>(ctx.workspace());
  ConvInt8Buffers b;
  b.x = ctx.input(0).raw();
  b.w = weight_.get();
  b.sums = reinterpret_cast<float*>(workspace);
  b.workspace = workspace + l.cudnn;
  b.workspace_bytes = ctx.workspace_bytes() - l.cudnn;
  if (copies_x(s)) {
    copy_x(ctx.input(0), s, workspace + l.x_copy, stream);
    b.x = workspace + l.x_copy;
  }
  if (!planned_for(s)) {
    run_unplanned(problem_for(s), b, stream);
  } else {
    if (b.workspace_bytes < choice_.workspace)
      fail_invalid(label_ + ": the workspace leaves cuDNN " + std::to_string(b.workspace_bytes) + " bytes, " + choice_.text() +
                   " needs " + std::to_string(choice_.workspace));
    const cudnnStatus_t status = run_conv_int8(*descriptors_, choice_, b, stream);
    if (status != CUDNN_STATUS_SUCCESS)
      fail(KILN_ERROR_INTERNAL, label_ + ": cuDNN int8 " + choice_.text() + ": " + cudnnGetErrorString(status));
  }
  run_epilogue(ctx, s, b.sums, stream);
}

void ConvInt8Layer::run_unplanned(const ConvInt8Problem& problem, const ConvInt8Buffers& b, cudaStream_t stream) const {
  const ConvInt8Descriptors d(problem);
  cudnnStatus_t status = CUDNN_STATUS_NOT_SUPPORTED;
  // A declined call enqueues nothing, so trying the next algorithm is safe (also while a CUDA graph is captured).
  for (const ConvInt8Choice& c : int8_choices(d, b.workspace_bytes, stream)) {
    status = run_conv_int8(d, c, b, stream);
    if (status == CUDNN_STATUS_SUCCESS) return;
  }
  fail_unsupported(label_ + ": cuDNN runs no int8 algorithm tried for " + problem.text() + " (last: " +
                   cudnnGetErrorString(status) + ")");
}

void ConvInt8Layer::run_epilogue(const ExecContext& ctx, const Shapes& s, const float* sums, cudaStream_t stream) const {
  ConvInt8Epilogue e;
  e.sums = sums;
  e.sums_channels = k_padded_;
  e.multiplier = multiplier_.as<const float>();
  e.bias = has_bias_ ? bias_.as<const float>() : nullptr;
  if (residual_input_ >= 0) {
    const Tensor z = ctx.input(residual_input_);
    e.residual = EpilogueTensor{z.dtype(), z.raw(), *s.z, residual_quant_.scale, residual_quant_.zero_point};
  }
  e.lo = lo_, e.hi = hi_;
  const Tensor y = ctx.output(0);
  e.y = EpilogueTensor{y.dtype(), y.raw(), s.y, y_quant_.scale, y_quant_.zero_point};
  launch_conv_int8_epilogue(e, stream);
}

}  // namespace kiln::cuda
