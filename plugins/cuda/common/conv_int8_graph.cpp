#include "common/conv_int8_graph.hpp"

#include <cstdint>

namespace kiln::cuda {

namespace {

// Unique ids of the graph's real tensors (the variant pack names buffers by them); virtual ones count from 100.
enum : int64_t { kX = 1, kW, kScale, kBias, kZ, kY, kZAlpha, kFirstVirtual = 100 };

// Builds descriptors, remembering each so the graph frees them; the first failure is kept for the reason.
class Builder {
 public:
  explicit Builder(std::vector<cudnnBackendDescriptor_t>& owned) : owned_(owned) {}

  cudnnBackendDescriptor_t make(cudnnBackendDescriptorType_t type) {
    cudnnBackendDescriptor_t d = nullptr;
    check(cudnnBackendCreateDescriptor(type, &d), "create descriptor");
    if (d) owned_.push_back(d);
    return d;
  }
  void set(cudnnBackendDescriptor_t d, cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t count,
           const void* value) {
    if (ok()) check(cudnnBackendSetAttribute(d, name, type, count, value), "set attribute");
  }
  void finalize(cudnnBackendDescriptor_t d, const char* what) {
    if (ok()) check(cudnnBackendFinalize(d), what);
  }
  bool ok() const { return failure_.empty(); }
  const std::string& failure() const { return failure_; }

  // A 4-D tensor with logical dims N, C, H, W stored as `strides` says.
  cudnnBackendDescriptor_t tensor(int64_t id, cudnnDataType_t type, const std::vector<int64_t>& dims,
                                  const std::vector<int64_t>& strides, bool is_virtual) {
    cudnnBackendDescriptor_t t = make(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
    const int64_t alignment = 16;
    set(t, CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &type);
    set(t, CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, 4, dims.data());
    set(t, CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, 4, strides.data());
    set(t, CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &id);
    set(t, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1, &alignment);
    set(t, CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1, &is_virtual);
    finalize(t, "tensor");
    return t;
  }

  // One pointwise operation y = mode(x[, alpha2 * b]).
  cudnnBackendDescriptor_t pointwise(cudnnPointwiseMode_t mode, cudnnBackendDescriptor_t x, cudnnBackendDescriptor_t b,
                                     cudnnBackendDescriptor_t y, float alpha2 = 1, const double* clip = nullptr) {
    cudnnBackendDescriptor_t pw = make(CUDNN_BACKEND_POINTWISE_DESCRIPTOR);
    const cudnnDataType_t precision = CUDNN_DATA_FLOAT;
    set(pw, CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode);
    set(pw, CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1, &precision);
    if (clip) {
      set(pw, CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP, CUDNN_TYPE_DOUBLE, 1, &clip[0]);
      set(pw, CUDNN_ATTR_POINTWISE_RELU_UPPER_CLIP, CUDNN_TYPE_DOUBLE, 1, &clip[1]);
    }
    finalize(pw, "pointwise");
    cudnnBackendDescriptor_t op = make(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR);
    set(op, CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &pw);
    set(op, CUDNN_ATTR_OPERATION_POINTWISE_XDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x);
    if (b) {
      set(op, CUDNN_ATTR_OPERATION_POINTWISE_BDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &b);
      set(op, CUDNN_ATTR_OPERATION_POINTWISE_ALPHA2, CUDNN_TYPE_FLOAT, 1, &alpha2);
    }
    set(op, CUDNN_ATTR_OPERATION_POINTWISE_YDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y);
    finalize(op, "pointwise operation");
    return op;
  }

 private:
  void check(cudnnStatus_t status, const char* what) {
    if (status != CUDNN_STATUS_SUCCESS && failure_.empty())
      failure_ = std::string(what) + ": " + cudnnGetErrorString(status);
  }

  std::vector<cudnnBackendDescriptor_t>& owned_;
  std::string failure_;
};

std::vector<int64_t> dims_of(const ImageDims& d) { return {d.dims[0], d.dims[1], d.dims[2], d.dims[3]}; }
std::vector<int64_t> strides_of(const ImageDims& d) { return {d.strides[0], d.strides[1], d.strides[2], d.strides[3]}; }

// The convolution operation: X * W into the float sums `acc`.
cudnnBackendDescriptor_t convolution(Builder& b, const ConvInt8Problem& p, cudnnBackendDescriptor_t x,
                                     cudnnBackendDescriptor_t w, cudnnBackendDescriptor_t acc) {
  cudnnBackendDescriptor_t conv = b.make(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
  const cudnnDataType_t compute = CUDNN_DATA_INT32;
  const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  const int64_t spatial = 2;
  b.set(conv, CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &compute);
  b.set(conv, CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode);
  b.set(conv, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1, &spatial);
  b.set(conv, CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, 2, p.window.dilation);
  b.set(conv, CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, 2, p.window.stride);
  b.set(conv, CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, 2, p.window.pad);
  b.set(conv, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, 2, p.window.pad);
  b.finalize(conv, "convolution");
  cudnnBackendDescriptor_t op = b.make(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
  const float alpha = 1, beta = 0;
  b.set(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x);
  b.set(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &w);
  b.set(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &acc);
  b.set(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &conv);
  b.set(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha);
  b.set(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta);
  b.finalize(op, "convolution operation");
  return op;
}

// The operations after the convolution, each reading the previous one's virtual output; the last writes Y.
std::vector<cudnnBackendDescriptor_t> operations(Builder& b, const ConvInt8GraphSpec& s) {
  const ConvInt8Problem& p = s.problem;
  const std::vector<int64_t> out = dims_of(p.sums), out_strides = strides_of(p.sums);
  const int64_t k = p.sums.dims[1];
  const std::vector<int64_t> per_channel = {1, k, 1, 1}, per_channel_strides = {k, 1, k, k};
  int64_t next_virtual = kFirstVirtual;
  auto virtual_out = [&] { return b.tensor(next_virtual++, CUDNN_DATA_FLOAT, out, out_strides, true); };

  cudnnBackendDescriptor_t x = b.tensor(kX, CUDNN_DATA_INT8, dims_of(p.x), strides_of(p.x), false);
  const std::vector<int64_t> filter = p.filter;
  const std::vector<int64_t> filter_strides = {filter[1] * filter[2] * filter[3], 1, filter[3] * filter[1], filter[1]};
  cudnnBackendDescriptor_t w = b.tensor(kW, CUDNN_DATA_INT8, filter, filter_strides, false);
  cudnnBackendDescriptor_t y = b.tensor(kY, s.y_type, out, out_strides, false);
  cudnnBackendDescriptor_t scale = b.tensor(kScale, CUDNN_DATA_FLOAT, per_channel, per_channel_strides, false);
  cudnnBackendDescriptor_t bias = b.tensor(kBias, CUDNN_DATA_FLOAT, per_channel, per_channel_strides, false);

  std::vector<cudnnBackendDescriptor_t> ops;
  cudnnBackendDescriptor_t acc = virtual_out();
  ops.push_back(convolution(b, p, x, w, acc));
  // Each step writes a new virtual tensor, or Y when it is the last one.
  const int steps = 2 + (s.residual ? (s.z_alpha_tensor ? 2 : 1) : 0) + (s.clamp ? 1 : 0);
  int step = 0;
  auto output = [&] { return ++step == steps ? y : virtual_out(); };
  cudnnBackendDescriptor_t value = acc;
  cudnnBackendDescriptor_t next = output();
  ops.push_back(b.pointwise(CUDNN_POINTWISE_MUL, value, scale, next));
  value = next, next = output();
  ops.push_back(b.pointwise(CUDNN_POINTWISE_ADD, value, bias, next));
  if (s.residual) {
    cudnnBackendDescriptor_t z = b.tensor(kZ, s.z_type, out, out_strides, false);
    if (s.z_alpha_tensor) {
      cudnnBackendDescriptor_t alpha = b.tensor(kZAlpha, CUDNN_DATA_FLOAT, {1, 1, 1, 1}, {1, 1, 1, 1}, false);
      cudnnBackendDescriptor_t scaled_z = virtual_out();
      ops.push_back(b.pointwise(CUDNN_POINTWISE_MUL, z, alpha, scaled_z));
      ++step;  // the MUL above took one of the steps
      value = next, next = output();
      ops.push_back(b.pointwise(CUDNN_POINTWISE_ADD, value, scaled_z, next));
    } else {
      value = next, next = output();
      ops.push_back(b.pointwise(CUDNN_POINTWISE_ADD, value, z, next, s.z_alpha));
    }
  }
  if (s.clamp) {
    const double clip[2] = {s.lo, s.hi};
    value = next, next = output();
    ops.push_back(b.pointwise(CUDNN_POINTWISE_RELU_FWD, value, nullptr, next, 1, clip));
  }
  return ops;
}

// Whether cuDNN compiles the config's kernel when the plan is built (NVRTC, seconds), as its behavior notes say.
bool runtime_compiled(cudnnBackendDescriptor_t config) {
  cudnnBackendDescriptor_t engine = nullptr;
  if (cudnnBackendCreateDescriptor(CUDNN_BACKEND_ENGINE_DESCRIPTOR, &engine) != CUDNN_STATUS_SUCCESS) return false;
  int64_t count = 0;
  cudnnBackendBehaviorNote_t notes[CUDNN_BEHAVIOR_NOTE_TYPE_COUNT];
  bool compiled = false;
  if (cudnnBackendGetAttribute(config, CUDNN_ATTR_ENGINECFG_ENGINE, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &count, &engine) ==
          CUDNN_STATUS_SUCCESS &&
      cudnnBackendGetAttribute(engine, CUDNN_ATTR_ENGINE_BEHAVIOR_NOTE, CUDNN_TYPE_BEHAVIOR_NOTE,
                               CUDNN_BEHAVIOR_NOTE_TYPE_COUNT, &count, notes) == CUDNN_STATUS_SUCCESS)
    for (int64_t i = 0; i < count; ++i) compiled = compiled || notes[i] == CUDNN_BEHAVIOR_NOTE_RUNTIME_COMPILATION;
  cudnnBackendDestroyDescriptor(engine);
  return compiled;
}

}  // namespace

std::unique_ptr<ConvInt8Graph> ConvInt8Graph::build(cudnnHandle_t handle, const ConvInt8GraphSpec& spec,
                                                    std::string* why, int config) {
  std::unique_ptr<ConvInt8Graph> g(new ConvInt8Graph);
  g->residual_ = spec.residual;
  g->z_alpha_tensor_ = spec.residual && spec.z_alpha_tensor;
  Builder b(g->owned_);
  const std::vector<cudnnBackendDescriptor_t> ops = operations(b, spec);
  cudnnBackendDescriptor_t graph = b.make(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  b.set(graph, CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, static_cast<int64_t>(ops.size()), ops.data());
  b.set(graph, CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle);
  b.finalize(graph, "operation graph");
  cudnnBackendDescriptor_t heuristics = b.make(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
  const cudnnBackendHeurMode_t mode = CUDNN_HEUR_MODE_A;
  b.set(heuristics, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &graph);
  b.set(heuristics, CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &mode);
  b.finalize(heuristics, "engine heuristics");
  if (!b.ok()) {
    *why = "cuDNN's graph API refuses the int8 convolution graph (" + b.failure() + ")";
    return nullptr;
  }
  constexpr int kConfigs = 8;
  std::vector<cudnnBackendDescriptor_t> configs;
  for (int i = 0; i < kConfigs; ++i) configs.push_back(b.make(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR));
  int64_t returned = 0;
  cudnnBackendGetAttribute(heuristics, CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, kConfigs, &returned,
                           configs.data());
  g->configs_ = static_cast<int>(returned);
  if (config >= returned) {
    *why = "cuDNN lists " + std::to_string(returned) + " engine configs for the int8 convolution graph, not config " +
           std::to_string(config);
    return nullptr;
  }
  // The one asked for, else the heuristic's order, first plan that builds.
  for (int64_t i = config < 0 ? 0 : config; i < (config < 0 ? returned : config + 1); ++i) {
    cudnnBackendDescriptor_t plan = nullptr;
    if (cudnnBackendCreateDescriptor(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, &plan) != CUDNN_STATUS_SUCCESS) break;
    const bool built = cudnnBackendSetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle) ==
                           CUDNN_STATUS_SUCCESS &&
                       cudnnBackendSetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR,
                                                1, &configs[static_cast<size_t>(i)]) == CUDNN_STATUS_SUCCESS &&
                       cudnnBackendFinalize(plan) == CUDNN_STATUS_SUCCESS;
    if (!built) {
      cudnnBackendDestroyDescriptor(plan);
      continue;
    }
    int64_t bytes = 0, count = 0;
    cudnnBackendGetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, CUDNN_TYPE_INT64, 1, &count, &bytes);
    g->plan_ = plan;
    g->workspace_ = static_cast<size_t>(bytes);
    g->config_ = static_cast<int>(i);
    g->engine_ = "cuDNN graph engine config " + std::to_string(i) + " of " + std::to_string(returned) +
                 (runtime_compiled(configs[static_cast<size_t>(i)]) ? " (runtime-compiled)" : "");
    return g;
  }
  *why = config < 0 ? "cuDNN has no engine for the int8 convolution graph here (" + std::to_string(returned) +
                          " configs, none built)"
                    : "engine config " + std::to_string(config) + " of the int8 convolution graph does not build";
  return nullptr;
}

ConvInt8Graph::~ConvInt8Graph() {
  if (plan_) cudnnBackendDestroyDescriptor(plan_);
  for (auto it = owned_.rbegin(); it != owned_.rend(); ++it) cudnnBackendDestroyDescriptor(*it);
}

cudnnStatus_t ConvInt8Graph::run(cudnnHandle_t handle, const ConvInt8GraphBuffers& b) const {
  std::vector<int64_t> ids = {kX, kW, kScale, kBias, kY};
  std::vector<void*> pointers = {const_cast<void*>(b.x), const_cast<void*>(b.w), const_cast<float*>(b.scale),
                                 const_cast<float*>(b.bias), b.y};
  if (residual_) {
    ids.push_back(kZ);
    pointers.push_back(const_cast<void*>(b.z));
  }
  if (z_alpha_tensor_) {
    ids.push_back(kZAlpha);
    pointers.push_back(const_cast<float*>(b.z_alpha));
  }
  cudnnBackendDescriptor_t pack = nullptr;
  cudnnStatus_t status = cudnnBackendCreateDescriptor(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR, &pack);
  if (status != CUDNN_STATUS_SUCCESS) return status;
  void* workspace = b.workspace;
  const int64_t n = static_cast<int64_t>(ids.size());
  status = cudnnBackendSetAttribute(pack, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, n, ids.data());
  if (status == CUDNN_STATUS_SUCCESS)
    status = cudnnBackendSetAttribute(pack, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, n, pointers.data());
  if (status == CUDNN_STATUS_SUCCESS)
    status = cudnnBackendSetAttribute(pack, CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &workspace);
  if (status == CUDNN_STATUS_SUCCESS) status = cudnnBackendFinalize(pack);
  if (status == CUDNN_STATUS_SUCCESS) status = cudnnBackendExecute(handle, plan_, pack);
  cudnnBackendDestroyDescriptor(pack);
  return status;
}

}  // namespace kiln::cuda
