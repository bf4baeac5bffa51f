// What cuDNN's legacy API offers for INT8 convolution on this GPU, against FP16, on ResNet-50's layer shapes at
// batch 256: for each configuration, every forward algorithm cuDNN finds (cudnnFindConvolutionForwardAlgorithm
// times them itself) and its time. Decides where kiln's INT8 convolution should come from (docs/quantization.md).
//   g++ -O2 cudnn_int8_probe.cpp -I/usr/local/cuda/include -L/usr/local/cuda/lib64 -lcudnn -lcudart
#include <cudnn.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <vector>

#define CHECK(x)                                                                 \
  do {                                                                           \
    auto status_ = (x);                                                          \
    if (status_ != 0) {                                                          \
      std::printf("  %s failed: %d (%s)\n", #x, int(status_), cudnnGetErrorString(cudnnStatus_t(status_))); \
      return;                                                                    \
    }                                                                            \
  } while (0)

struct Shape { int n, c, h, w, k, r, stride, pad; };
struct Config { const char* name; cudnnDataType_t x, y, compute; cudnnTensorFormat_t format; int element; };

void probe(cudnnHandle_t handle, const Shape& s, const Config& cfg) {
  const int oh = (s.h + 2 * s.pad - s.r) / s.stride + 1, ow = (s.w + 2 * s.pad - s.r) / s.stride + 1;
  cudnnTensorDescriptor_t x, y;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
  cudnnCreateTensorDescriptor(&x);
  cudnnCreateTensorDescriptor(&y);
  cudnnCreateFilterDescriptor(&w);
  cudnnCreateConvolutionDescriptor(&conv);
  CHECK(cudnnSetTensor4dDescriptor(x, cfg.format, cfg.x, s.n, s.c, s.h, s.w));
  CHECK(cudnnSetTensor4dDescriptor(y, cfg.format == CUDNN_TENSOR_NCHW_VECT_C && cfg.y != cfg.x ? CUDNN_TENSOR_NCHW : cfg.format,
                                   cfg.y, s.n, s.k, oh, ow));
  CHECK(cudnnSetFilter4dDescriptor(w, cfg.x, cfg.format, s.k, s.c, s.r, s.r));
  CHECK(cudnnSetConvolution2dDescriptor(conv, s.pad, s.pad, s.stride, s.stride, 1, 1, CUDNN_CROSS_CORRELATION, cfg.compute));
  cudnnSetConvolutionMathType(conv, CUDNN_TENSOR_OP_MATH);
  void *dx, *dy, *dw, *ws;
  const size_t ws_bytes = size_t(512) << 20;
  cudaMalloc(&dx, size_t(s.n) * s.c * s.h * s.w * 4);
  cudaMalloc(&dy, size_t(s.n) * s.k * oh * ow * 4);
  cudaMalloc(&dw, size_t(s.k) * s.c * s.r * s.r * 4);
  cudaMalloc(&ws, ws_bytes);
  cudaMemset(dx, 1, size_t(s.n) * s.c * s.h * s.w);
  cudaMemset(dw, 1, size_t(s.k) * s.c * s.r * s.r);
  std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(8);
  int found = 0;
  const double flops = 2.0 * s.n * s.k * oh * ow * s.c * s.r * s.r;
  cudnnStatus_t st = cudnnFindConvolutionForwardAlgorithmEx(handle, x, dx, w, dw, conv, y, dy, 8, &found, perf.data(), ws, ws_bytes);
  if (st != CUDNN_STATUS_SUCCESS) std::printf("  %-26s find failed: %s\n", cfg.name, cudnnGetErrorString(st));
  for (int i = 0; i < found; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS)
      std::printf("  %-26s algo %d  %8.3f ms  %7.1f TOPS  math %d\n", cfg.name, int(perf[i].algo), perf[i].time,
                  flops / perf[i].time / 1e9, int(perf[i].mathType));
  cudaFree(dx); cudaFree(dy); cudaFree(dw); cudaFree(ws);
  cudnnDestroyTensorDescriptor(x); cudnnDestroyTensorDescriptor(y); cudnnDestroyFilterDescriptor(w);
  cudnnDestroyConvolutionDescriptor(conv);
}


// ---- The graph API: int8 conv -> per-channel scale -> bias -> ReLU -> int8, one fused kernel if an engine has it.

struct Backend {  // one backend descriptor, destroyed with the probe
  cudnnBackendDescriptor_t d = nullptr;
  explicit Backend(cudnnBackendDescriptorType_t type) { cudnnBackendCreateDescriptor(type, &d); }
  ~Backend() { if (d) cudnnBackendDestroyDescriptor(d); }
  Backend(const Backend&) = delete;
  bool set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t count, const void* value) {
    const cudnnStatus_t st = cudnnBackendSetAttribute(d, name, type, count, value);
    if (st != CUDNN_STATUS_SUCCESS) std::printf("    set attribute %d: %s\n", int(name), cudnnGetErrorString(st));
    return st == CUDNN_STATUS_SUCCESS;
  }
  bool finalize(const char* what) {
    const cudnnStatus_t st = cudnnBackendFinalize(d);
    if (st != CUDNN_STATUS_SUCCESS) std::printf("    finalize %s: %s\n", what, cudnnGetErrorString(st));
    return st == CUDNN_STATUS_SUCCESS;
  }
};

Backend* tensor(int64_t id, cudnnDataType_t type, std::vector<int64_t> dims, std::vector<int64_t> strides, bool is_virtual) {
  auto* t = new Backend(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
  const int64_t alignment = 16;
  t->set(CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &type);
  t->set(CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, int64_t(dims.size()), dims.data());
  t->set(CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, int64_t(strides.size()), strides.data());
  t->set(CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &id);
  t->set(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1, &alignment);
  t->set(CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1, &is_virtual);
  t->finalize("tensor");
  return t;
}

std::vector<int64_t> nhwc_strides(int64_t c, int64_t h, int64_t w) { return {h * w * c, 1, w * c, c}; }

Backend* pointwise(cudnnPointwiseMode_t mode, Backend* x, Backend* b, Backend* y) {
  static std::vector<Backend*> descriptors;  // kept for the process: ops refer to them
  descriptors.push_back(new Backend(CUDNN_BACKEND_POINTWISE_DESCRIPTOR));
  Backend& pw = *descriptors.back();
  const cudnnDataType_t precision = CUDNN_DATA_FLOAT;
  pw.set(CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode);
  pw.set(CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1, &precision);
  pw.finalize("pointwise");
  auto* op = new Backend(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR);
  op->set(CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &pw.d);
  op->set(CUDNN_ATTR_OPERATION_POINTWISE_XDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x->d);
  if (b) op->set(CUDNN_ATTR_OPERATION_POINTWISE_BDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &b->d);
  op->set(CUDNN_ATTR_OPERATION_POINTWISE_YDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y->d);
  op->finalize("pointwise op");
  return op;
}

void probe_graph(cudnnHandle_t handle, const Shape& s, cudnnDataType_t accumulator) {
  const int64_t oh = (s.h + 2 * s.pad - s.r) / s.stride + 1, ow = (s.w + 2 * s.pad - s.r) / s.stride + 1;
  std::vector<Backend*> keep;
  Backend* x = tensor(1, CUDNN_DATA_INT8, {s.n, s.c, s.h, s.w}, nhwc_strides(s.c, s.h, s.w), false);
  Backend* w = tensor(2, CUDNN_DATA_INT8, {s.k, s.c, s.r, s.r}, nhwc_strides(s.c, s.r, s.r), false);
  Backend* acc = tensor(3, accumulator, {s.n, s.k, oh, ow}, nhwc_strides(s.k, oh, ow), true);
  Backend* scale = tensor(4, CUDNN_DATA_FLOAT, {1, s.k, 1, 1}, {s.k, 1, s.k, s.k}, false);
  Backend* scaled = tensor(5, CUDNN_DATA_FLOAT, {s.n, s.k, oh, ow}, nhwc_strides(s.k, oh, ow), true);
  Backend* bias = tensor(6, CUDNN_DATA_FLOAT, {1, s.k, 1, 1}, {s.k, 1, s.k, s.k}, false);
  Backend* biased = tensor(7, CUDNN_DATA_FLOAT, {s.n, s.k, oh, ow}, nhwc_strides(s.k, oh, ow), true);
  Backend* y = tensor(8, CUDNN_DATA_INT8, {s.n, s.k, oh, ow}, nhwc_strides(s.k, oh, ow), false);
  keep = {x, w, acc, scale, scaled, bias, biased, y};

  Backend conv(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
  const cudnnDataType_t compute = CUDNN_DATA_INT32;
  const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  const int64_t dims = 2, one[2] = {1, 1}, stride[2] = {s.stride, s.stride}, pad[2] = {s.pad, s.pad};
  conv.set(CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &compute);
  conv.set(CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode);
  conv.set(CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1, &dims);
  conv.set(CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, 2, one);
  conv.set(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, 2, stride);
  conv.set(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, 2, pad);
  conv.set(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, 2, pad);
  conv.finalize("convolution");
  Backend conv_op(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
  const float alpha = 1, beta = 0;
  conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x->d);
  conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &w->d);
  conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &acc->d);
  conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &conv.d);
  conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha);
  conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta);
  conv_op.finalize("convolution op");
  Backend* mul = pointwise(CUDNN_POINTWISE_MUL, acc, scale, scaled);
  Backend* add = pointwise(CUDNN_POINTWISE_ADD, scaled, bias, biased);
  Backend* relu = pointwise(CUDNN_POINTWISE_RELU_FWD, biased, nullptr, y);
  keep.insert(keep.end(), {mul, add, relu});

  Backend graph(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  cudnnBackendDescriptor_t ops[] = {conv_op.d, mul->d, add->d, relu->d};
  graph.set(CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 4, ops);
  graph.set(CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle);
  const char* acc_name = accumulator == CUDNN_DATA_INT32 ? "int32" : "float";
  if (!graph.finalize("operation graph")) {
    std::printf("  graph int8 conv (%s acc) + scale + bias + relu -> int8: the graph is refused\n", acc_name);
    for (Backend* b : keep) delete b;
    return;
  }
  for (cudnnBackendHeurMode_t heur : {CUDNN_HEUR_MODE_A, CUDNN_HEUR_MODE_FALLBACK}) {
    Backend heuristics(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
    heuristics.set(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &graph.d);
    heuristics.set(CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &heur);
    if (!heuristics.finalize("heuristics")) continue;
    std::vector<Backend*> configs;
    std::vector<cudnnBackendDescriptor_t> handles;
    for (int i = 0; i < 8; ++i) {
      configs.push_back(new Backend(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR));
      handles.push_back(configs.back()->d);
    }
    int64_t returned = 0;
    cudnnBackendGetAttribute(heuristics.d, CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 8, &returned, handles.data());
    std::printf("  graph int8 conv (%s acc) + scale + bias + relu -> int8, heuristics %s: %lld config(s)\n", acc_name,
                heur == CUDNN_HEUR_MODE_A ? "A" : "FALLBACK", (long long)returned);
    int timed = 0;
    for (int64_t i = 0; i < returned && timed < 3; ++i) {
      Backend plan(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
      plan.set(CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle);
      plan.set(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &handles[i]);
      if (!plan.finalize("plan")) continue;
      int64_t ws_bytes = 0, got = 0;
      cudnnBackendGetAttribute(plan.d, CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, CUDNN_TYPE_INT64, 1, &got, &ws_bytes);
      void *dx, *dw, *ds, *db, *dy, *ws = nullptr;
      cudaMalloc(&dx, size_t(s.n) * s.c * s.h * s.w);
      cudaMalloc(&dw, size_t(s.k) * s.c * s.r * s.r);
      cudaMalloc(&ds, size_t(s.k) * 4);
      cudaMalloc(&db, size_t(s.k) * 4);
      cudaMalloc(&dy, size_t(s.n) * s.k * oh * ow);
      if (ws_bytes) cudaMalloc(&ws, size_t(ws_bytes));
      cudaMemset(dx, 1, size_t(s.n) * s.c * s.h * s.w);
      cudaMemset(dw, 1, size_t(s.k) * s.c * s.r * s.r);
      cudaMemset(ds, 0, size_t(s.k) * 4);
      cudaMemset(db, 0, size_t(s.k) * 4);
      Backend pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
      int64_t ids[] = {1, 2, 4, 6, 8};
      void* ptrs[] = {dx, dw, ds, db, dy};
      pack.set(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, 5, ids);
      pack.set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, 5, ptrs);
      pack.set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &ws);
      pack.finalize("variant pack");
      cudnnStatus_t st = cudnnBackendExecute(handle, plan.d, pack.d);
      cudaDeviceSynchronize();
      if (st == CUDNN_STATUS_SUCCESS) {
        cudaEvent_t a, b;
        cudaEventCreate(&a);
        cudaEventCreate(&b);
        cudaEventRecord(a);
        for (int it = 0; it < 20; ++it) cudnnBackendExecute(handle, plan.d, pack.d);
        cudaEventRecord(b);
        cudaEventSynchronize(b);
        float ms = 0;
        cudaEventElapsedTime(&ms, a, b);
        const double flops = 2.0 * s.n * s.k * oh * ow * s.c * s.r * s.r;
        std::printf("    config %lld: %8.3f ms  %7.1f TOPS  workspace %lld bytes\n", (long long)i, ms / 20,
                    flops / (ms / 20) / 1e9, (long long)ws_bytes);
        ++timed;
      } else {
        std::printf("    config %lld: execute failed: %s\n", (long long)i, cudnnGetErrorString(st));
      }
      cudaFree(dx); cudaFree(dw); cudaFree(ds); cudaFree(db); cudaFree(dy);
      if (ws) cudaFree(ws);
    }
    for (Backend* c : configs) delete c;
    if (timed) break;
  }
  for (Backend* b : keep) delete b;
}

int main() {
  cudnnHandle_t handle;
  if (cudnnCreate(&handle) != CUDNN_STATUS_SUCCESS) { std::printf("no cuDNN handle (no GPU?)\n"); return 1; }
  std::printf("cuDNN %zu\n", cudnnGetVersion());
  const Shape shapes[] = {{256, 256, 14, 14, 256, 3, 1, 1}, {256, 256, 56, 56, 64, 1, 1, 0}};
  const Config configs[] = {
      {"fp16 NHWC", CUDNN_DATA_HALF, CUDNN_DATA_HALF, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, 2},
      {"int8 NHWC -> float", CUDNN_DATA_INT8, CUDNN_DATA_FLOAT, CUDNN_DATA_INT32, CUDNN_TENSOR_NHWC, 1},
      {"int8 NHWC -> int8", CUDNN_DATA_INT8, CUDNN_DATA_INT8, CUDNN_DATA_INT32, CUDNN_TENSOR_NHWC, 1},
      {"int8x32 NCHW_VECT_C", CUDNN_DATA_INT8x32, CUDNN_DATA_INT8x32, CUDNN_DATA_INT32, CUDNN_TENSOR_NCHW_VECT_C, 1},
      {"int8x4 NCHW_VECT_C", CUDNN_DATA_INT8x4, CUDNN_DATA_INT8x4, CUDNN_DATA_INT32, CUDNN_TENSOR_NCHW_VECT_C, 1},
  };
  for (const Shape& s : shapes) {
    std::printf("conv N%d C%d %dx%d -> K%d, %dx%d stride %d\n", s.n, s.c, s.h, s.w, s.k, s.r, s.r, s.stride);
    for (const Config& c : configs) probe(handle, s, c);
    probe_graph(handle, s, CUDNN_DATA_INT32);
    probe_graph(handle, s, CUDNN_DATA_FLOAT);
  }
  cudnnDestroy(handle);
  return 0;
}
