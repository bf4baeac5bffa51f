// GlobalAveragePool and GlobalMaxPool: one value per (n, c) plane, accumulated in float, written dense as
// [N, C, 1, ...] (the same bytes whether the output is called NCHW or NHWC).
//
// Two kernels, by where a plane's values lie: contiguous (NCHW and any dense LINEAR rank >= 3), one warp per plane;
// channel-strided (NHWC, or a 4-D view), a block per 32 channels (of 16 bytes each where dense NHWC allows) of one
// image, its 8 rows of threads splitting the plane, so that each warp reads neighbouring channels at once.
// Int8/uint8 images (rank 4, per-tensor parameters) are a 2-D window pool whose window is the whole image
// (common/pool_window.hpp): the average requantized onto Y's grid, the max exact on one shared grid. ResNet-50's
// last INT8 block then feeds its average pool integers, not a dequantized copy 49 times larger.
#include <cuda_fp16.h>

#include <algorithm>

#include "common/cuda_check.hpp"
#include "common/image_dims.hpp"
#include "common/pool_quant.hpp"

namespace kiln::cuda {
namespace {

constexpr uint64_t kFloat = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT16);
constexpr uint32_t kLayouts = KILN_LAYOUT_BIT(KILN_LAYOUT_LINEAR) | KILN_LAYOUT_BIT(KILN_LAYOUT_NHWC);

__device__ inline float widen(float v) { return v; }
__device__ inline float widen(__half v) { return __half2float(v); }
template <class T> __device__ inline T narrow(float v);
template <> __device__ inline float narrow<float>(float v) { return v; }
template <> __device__ inline __half narrow<__half>(float v) { return __float2half(v); }

template <bool kMax> __device__ inline float combine(float a, float b) { return kMax ? fmaxf(a, b) : a + b; }
template <bool kMax> __device__ inline float start() { return kMax ? -INFINITY : 0.0f; }
template <bool kMax> __device__ inline float finish(float acc, int64_t size) { return kMax ? acc : acc / static_cast<float>(size); }

// One warp per contiguous plane of `size` values.
template <class T, bool kMax>
__global__ void plane_pool_kernel(const T* x, T* y, int64_t planes, int64_t size) {
  constexpr int kWarp = 32;
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarp);
  for (int64_t plane = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp; plane < planes; plane += warps) {
    const T* p = x + plane * size;
    float acc = start<kMax>();
    for (int64_t i = lane; i < size; i += kWarp) acc = combine<kMax>(acc, widen(p[i]));
    for (int offset = kWarp / 2; offset > 0; offset /= 2) acc = combine<kMax>(acc, __shfl_down_sync(0xffffffffu, acc, offset));
    if (lane == 0) y[plane] = narrow<T>(finish<kMax>(acc, size));
  }
}

struct StridedPlanes {
  int64_t n, c, h, w;
  int64_t strides[4];
};

constexpr int kChannelsPerBlock = 32, kRowsPerBlock = 8;

// A block per 32 channels of one image (blockIdx.y walks the images); its rows split each plane.
template <class T, bool kMax>
__global__ void channel_pool_kernel(const T* x, T* y, StridedPlanes g) {
  __shared__ float partial[kRowsPerBlock][kChannelsPerBlock];
  const int64_t c = static_cast<int64_t>(blockIdx.x) * kChannelsPerBlock + threadIdx.x;
  const int64_t size = g.h * g.w;
  for (int64_t n = blockIdx.y; n < g.n; n += gridDim.y) {
    float acc = start<kMax>();
    if (c < g.c) {
      const T* image = x + n * g.strides[0] + c * g.strides[1];
      for (int64_t i = threadIdx.y; i < size; i += kRowsPerBlock)
        acc = combine<kMax>(acc, widen(image[(i / g.w) * g.strides[2] + (i % g.w) * g.strides[3]]));
    }
    partial[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && c < g.c) {
      for (int r = 1; r < kRowsPerBlock; ++r) acc = combine<kMax>(acc, partial[r][threadIdx.x]);
      y[n * g.c + c] = narrow<T>(finish<kMax>(acc, size));
    }
    __syncthreads();  // `partial` is reused for the next image
  }
}

// Dense NHWC with 16-byte aligned rows: as channel_pool_kernel, each thread taking kVec neighbouring channels
// in one 16-byte load per position (a warp reads 512 contiguous bytes).
template <class T, int kVec>
struct alignas(16) Lanes {
  T v[kVec];
};

template <class T, bool kMax, int kVec>
__global__ void channel_vector_pool_kernel(const T* x, T* y, int64_t images, int64_t channels, int64_t size) {
  __shared__ float partial[kRowsPerBlock][kChannelsPerBlock][kVec];
  const int64_t c = (static_cast<int64_t>(blockIdx.x) * kChannelsPerBlock + threadIdx.x) * kVec;
  for (int64_t n = blockIdx.y; n < images; n += gridDim.y) {
    float acc[kVec];
    for (int j = 0; j < kVec; ++j) acc[j] = start<kMax>();
    if (c < channels) {
      const T* image = x + n * size * channels + c;
      for (int64_t i = threadIdx.y; i < size; i += kRowsPerBlock) {
        const Lanes<T, kVec> v = *reinterpret_cast<const Lanes<T, kVec>*>(image + i * channels);
        for (int j = 0; j < kVec; ++j) acc[j] = combine<kMax>(acc[j], widen(v.v[j]));
      }
    }
    for (int j = 0; j < kVec; ++j) partial[threadIdx.y][threadIdx.x][j] = acc[j];
    __syncthreads();
    if (threadIdx.y == 0 && c < channels) {
      Lanes<T, kVec> out;
      for (int j = 0; j < kVec; ++j) {
        for (int r = 1; r < kRowsPerBlock; ++r) acc[j] = combine<kMax>(acc[j], partial[r][threadIdx.x][j]);
        out.v[j] = narrow<T>(finish<kMax>(acc[j], size));
      }
      *reinterpret_cast<Lanes<T, kVec>*>(y + n * channels + c) = out;
    }
    __syncthreads();  // `partial` is reused for the next image
  }
}

// Whether each (n, c) plane of `x` is contiguous and the planes follow one another (dense NCHW-like).
bool contiguous_planes(const Tensor& x) {
  if (!x.strides()) return x.layout() == KILN_LAYOUT_LINEAR;
  int64_t expected = 1;
  for (int i = x.rank(); i-- > 0;) {
    if (x.dim(i) != 1 && x.strides()[i] != expected) return false;
    expected *= x.dim(i);
  }
  return true;
}

template <class T, bool kMax>
void launch(const Tensor& x, const Tensor& y, cudaStream_t stream) {
  const T* px = x.data<T>();
  T* py = y.data<T>();
  const int64_t planes = x.dim(0) * x.dim(1);
  if (planes == 0) return;
  if (contiguous_planes(x)) {
    const int64_t size = x.numel() / planes;
    constexpr int kThreads = 256;
    const auto blocks = static_cast<unsigned>(std::min<int64_t>((planes * 32 + kThreads - 1) / kThreads, int64_t{1} << 20));
    plane_pool_kernel<T, kMax><<<blocks, kThreads, 0, stream>>>(px, py, planes, size);
  } else {
    if (x.rank() != 4) fail_unsupported("global pooling of a strided view of rank " + std::to_string(x.rank()));
    const ImageDims d = ImageDims::of(x);
    constexpr int kVec = 16 / sizeof(T);
    const bool aligned = reinterpret_cast<uintptr_t>(px) % 16 == 0 && reinterpret_cast<uintptr_t>(py) % 16 == 0;
    if (aligned && d.dims[1] % kVec == 0 && d.is(KILN_LAYOUT_NHWC)) {
      const int64_t per_block = int64_t{kChannelsPerBlock} * kVec;
      const dim3 blocks(static_cast<unsigned>((d.dims[1] + per_block - 1) / per_block),
                        static_cast<unsigned>(std::min<int64_t>(d.dims[0], 65535)));
      channel_vector_pool_kernel<T, kMax, kVec><<<blocks, dim3(kChannelsPerBlock, kRowsPerBlock), 0, stream>>>(
          px, py, d.dims[0], d.dims[1], d.dims[2] * d.dims[3]);
      return KILN_CUDA_LAUNCHED();
    }
    const StridedPlanes g{d.dims[0], d.dims[1], d.dims[2], d.dims[3], {d.strides[0], d.strides[1], d.strides[2], d.strides[3]}};
    const dim3 blocks(static_cast<unsigned>((g.c + kChannelsPerBlock - 1) / kChannelsPerBlock),
                      static_cast<unsigned>(std::min<int64_t>(g.n, 65535)));
    channel_pool_kernel<T, kMax><<<blocks, dim3(kChannelsPerBlock, kRowsPerBlock), 0, stream>>>(px, py, g);
  }
  KILN_CUDA_LAUNCHED();
}

template <bool kMax>
struct GlobalPool {
  static KernelSpec spec() {
    KernelSpec s;
    s.op_type = kMax ? "GlobalMaxPool" : "GlobalAveragePool";
    s.name = "kiln.cuda." + s.op_type;
    s.device = KILN_DEVICE_CUDA;
    // As MaxPool and AveragePool: integers read with their scales, and a max exact on one grid.
    s.flags = kMax ? KILN_KERNEL_QUANTIZED | KILN_KERNEL_QUANT_PASSTHROUGH : KILN_KERNEL_QUANTIZED;
    s.inputs = {io_layouts(kFloat | kQuantizedDtypes, kLayouts)};
    s.outputs = {io_layouts(kFloat | kQuantizedDtypes, kLayouts)};
    return s;
  }
  static std::string check(const Node& node) {
    const ValueInfo x = node.input(0);
    if (x.has_rank && x.rank() < 3) return "X needs rank >= 3 (N, C and spatial dims)";
    if (is_quantized_dtype(x.dtype) && x.has_rank && x.rank() != 4) return "int8/uint8 X needs rank 4 (N, C, H, W)";
    return quantized_reason(node, kMax);
  }
  explicit GlobalPool(const Node& node) : quant(pool_quant(node)) {}

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    if (x.rank() < 3 || y.numel() != x.dim(0) * x.dim(1) || y.dtype() != x.dtype())
      fail_invalid(std::string(kMax ? "GlobalMaxPool" : "GlobalAveragePool") + ": Y is not one value per plane of X");
    const auto stream = static_cast<cudaStream_t>(ctx.stream());
    if (is_quantized_dtype(x.dtype())) launch_whole_image_window(x, y, stream);
    else if (x.dtype() == KILN_DTYPE_FLOAT16) launch<__half, kMax>(x, y, stream);
    else launch<float, kMax>(x, y, stream);
  }

  // Integers: a window the size of the image, no padding (an average over every tap, as the global pool).
  void launch_whole_image_window(const Tensor& x, const Tensor& y, cudaStream_t stream) const {
    if (x.rank() != 4) fail_unsupported("int8/uint8 global pooling needs rank 4 (N, C, H, W)");
    PoolLaunch l;
    l.kind = kMax ? PoolKind::Max : PoolKind::AverageExcludingPads;
    l.dtype = x.dtype();
    l.quant = quant;
    l.x = x.raw(), l.x_dims = ImageDims::of(x);
    l.y = y.raw(), l.y_dims = ImageDims::of(y);
    if (!y.strides()) l.y_dims = ImageDims::dense(y.shape(), KILN_LAYOUT_NHWC);  // [N, C, 1, 1]: the same bytes as NCHW
    l.window.kernel[0] = x.dim(2), l.window.kernel[1] = x.dim(3);
    launch_window_pool(l, stream);
  }

  PoolQuant quant;
};

}  // namespace

const kiln_kernel_desc* global_average_pool_kernel() { return describe<GlobalPool<false>>(); }
const kiln_kernel_desc* global_max_pool_kernel() { return describe<GlobalPool<true>>(); }

}  // namespace kiln::cuda
