#include "common/conv_int8_imma.hpp"

#include <algorithm>
#include <climits>

#include "common/cuda_check.hpp"
#include "common/quant_math.cuh"

namespace kiln::cuda {

namespace {

// The reduction (R*S*C bytes per output) is consumed 64 bytes per stage, two mma k-steps of 32, through a ring of
// stages filled by cp.async while the tensor cores work on the oldest.
constexpr int kStageK = 64;
constexpr int kStages = 4;

// A block computes kBm output pixels x kBn output channels with kWarpsM x kWarpsN warps. Shared memory holds
// each stage's X rows (kBm x 64 bytes) and W rows (kBn x 64 bytes); after the main loop the same memory holds
// the block's results as floats for the epilogue's coalesced pass.
template <int kBm, int kBn, int kWarpsM, int kWarpsN>
struct Tile {
  static constexpr int kBlockM = kBm, kBlockN = kBn;
  static constexpr int kThreads = 32 * kWarpsM * kWarpsN;
  static constexpr int kColumnsOfWarps = kWarpsN;
  static constexpr int kWarpM = kBm / kWarpsM, kWarpN = kBn / kWarpsN;
  static constexpr int kMmaM = kWarpM / 16, kMmaN = kWarpN / 8;  // m16n8k32 tiles per warp
  static constexpr int kRowsPerPass = kThreads / 4;              // four 16-byte copies fill a 64-byte row
  static constexpr int kXCopies = kBm / kRowsPerPass, kWCopies = kBn / kRowsPerPass;
  static constexpr int kStageBytes = (kBm + kBn) * kStageK;
  static constexpr int kStagingStride = kBn + 8;  // floats; the padding keeps the float2 writes conflict-free
  static constexpr int kSmemBytes = std::max(kStages * kStageBytes, kBm * kStagingStride * 4);
  static constexpr int kMinBlocksPerSm = kThreads >= 256 ? 2 : 4;  // caps registers at 128 per thread
  static_assert(kMmaN % 2 == 0, "B fragments are loaded two n-tiles at a time");
  static_assert(kBm % kRowsPerPass == 0 && kBn % kRowsPerPass == 0, "copies must cover the tile's rows");
};

using Tile128x128 = Tile<128, 128, 2, 4>;  // 8 warps of 64 x 32
using Tile128x64 = Tile<128, 64, 4, 2>;    // 8 warps of 32 x 32
using Tile64x128 = Tile<64, 128, 2, 4>;    // 8 warps of 32 x 32: few pixels, many channels
using Tile64x64 = Tile<64, 64, 2, 2>;      // 4 warps of 32 x 32: small layers (batch 1)

struct Geometry {
  const int8_t* x;
  const int8_t* w;
  const float* scale;
  const float* bias;
  const int8_t* z;
  int8_t* y;
  float z_alpha, lo, hi;
  int in_h, in_w, c, k, s, gemm_k, oh, ow, m;  // gemm_k = R*S*C, m = N*OH*OW
  int stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  int n_tiles, k_tiles;
};

// Byte offset of 16-byte chunk `chunk` (0..3) of row `row` in a stage: rows of 64 bytes, chunks XOR-swizzled by
// row pairs so that ldmatrix's eight rows of one chunk fall in eight different bank groups.
__device__ __forceinline__ uint32_t swizzled(int row, int chunk) {
  return static_cast<uint32_t>(row * kStageK + ((chunk ^ ((row >> 1) & 3)) << 4));
}

// 16 bytes global -> shared, asynchronously; zeros when !valid (src is then never read).
__device__ __forceinline__ void copy16(uint32_t to, const void* from, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(to), "l"(from), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void commit_copies() { asm volatile("cp.async.commit_group;\n" ::); }
template <int kPending>
__device__ __forceinline__ void wait_copies() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

__device__ __forceinline__ void load_matrices(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
}

__device__ __forceinline__ void mma_int8(int (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Where one thread's X copies come from: per output pixel it copies for, the image's start and the window's
// top-left corner in X (negative inside the padding).
template <class T>
struct XRows {
  int64_t image[T::kXCopies];
  int top[T::kXCopies], left[T::kXCopies];
  bool valid[T::kXCopies];

  __device__ XRows(const Geometry& g, int m0, int tid) {
#pragma unroll
    for (int i = 0; i < T::kXCopies; ++i) {
      const int m = m0 + (tid >> 2) + i * T::kRowsPerPass;
      valid[i] = m < g.m;
      const int p = valid[i] ? m : 0;
      const int ow = p % g.ow, rest = p / g.ow;
      const int oh = rest % g.oh, n = rest / g.oh;
      image[i] = static_cast<int64_t>(n) * g.in_h * g.in_w * g.c;
      top[i] = oh * g.stride_h - g.pad_h;
      left[i] = ow * g.stride_w - g.pad_w;
    }
  }
};

// Copies reduction slice `kt` (64 bytes of R*S*C) of the block's X rows and W rows into stage `stage`. Each thread
// copies chunk (tid & 3) of its rows: one filter tap (r, s) and 16 channels from c, since C is a multiple of 16.
template <class T>
__device__ __forceinline__ void load_stage(const Geometry& g, const XRows<T>& rows, int n0, int tid, uint32_t smem,
                                           int stage, int kt) {
  const int chunk = tid & 3;
  const int k0 = kt * kStageK + chunk * 16;
  const bool k_inside = k0 < g.gemm_k;
  const int tap = k0 / g.c, channel = k0 - tap * g.c;
  const int r = tap / g.s, s = tap - r * g.s;
  const uint32_t x_smem = smem + stage * T::kStageBytes;
  const uint32_t w_smem = x_smem + T::kBlockM * kStageK;
#pragma unroll
  for (int i = 0; i < T::kXCopies; ++i) {
    const int row = (tid >> 2) + i * T::kRowsPerPass;
    const int ih = rows.top[i] + r * g.dilation_h, iw = rows.left[i] + s * g.dilation_w;
    const bool valid = rows.valid[i] && k_inside && ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
    const int8_t* from = valid ? g.x + rows.image[i] + (static_cast<int64_t>(ih) * g.in_w + iw) * g.c + channel : g.x;
    copy16(x_smem + swizzled(row, chunk), from, valid);
  }
#pragma unroll
  for (int i = 0; i < T::kWCopies; ++i) {
    const int row = (tid >> 2) + i * T::kRowsPerPass;
    const int out_channel = n0 + row;
    const bool valid = out_channel < g.k && k_inside;
    const int8_t* from = valid ? g.w + static_cast<int64_t>(out_channel) * g.gemm_k + k0 : g.w;
    copy16(w_smem + swizzled(row, chunk), from, valid);
  }
}

// One stage's 64 bytes of reduction: two k-steps of 32, each warp's kMmaM x kMmaN tensor-core tiles.
template <class T>
__device__ __forceinline__ void multiply_stage(int (&acc)[T::kMmaM][T::kMmaN][4], uint32_t x_smem, uint32_t w_smem,
                                               int warp_m, int warp_n, int lane) {
#pragma unroll
  for (int step = 0; step < 2; ++step) {
    uint32_t a[T::kMmaM][4], b[T::kMmaN][2];
#pragma unroll
    for (int mi = 0; mi < T::kMmaM; ++mi) {
      // Matrices: rows 0-7 and 8-15 of the first 16 bytes, then of the second 16 (a0..a3 of m16n8k32).
      const int row = warp_m + mi * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
      load_matrices(a[mi], x_smem + swizzled(row, step * 2 + (lane >> 4)));
    }
#pragma unroll
    for (int nj = 0; nj < T::kMmaN / 2; ++nj) {
      // Matrices: n-tile 2nj's two 16-byte halves (b0, b1), then n-tile 2nj+1's.
      const int row = warp_n + nj * 16 + (lane & 7) + (lane >> 4) * 8;
      uint32_t r[4];
      load_matrices(r, w_smem + swizzled(row, step * 2 + ((lane >> 3) & 1)));
      b[2 * nj][0] = r[0], b[2 * nj][1] = r[1], b[2 * nj + 1][0] = r[2], b[2 * nj + 1][1] = r[3];
    }
#pragma unroll
    for (int mi = 0; mi < T::kMmaM; ++mi)
#pragma unroll
      for (int ni = 0; ni < T::kMmaN; ++ni) mma_int8(acc[mi][ni], a[mi], b[ni][0], b[ni][1]);
  }
}

// Eight channels of one output pixel: the residual added, clamped, rounded onto Y's grid, stored as 8 bytes.
__device__ __forceinline__ void store_eight(const Geometry& g, const float* v, int64_t at) {
  float r[8];
#pragma unroll
  for (int j = 0; j < 8; ++j) r[j] = v[j];
  if (g.z) {
    const uint2 packed = *reinterpret_cast<const uint2*>(g.z + at);
    const int8_t* z = reinterpret_cast<const int8_t*>(&packed);
#pragma unroll
    for (int j = 0; j < 8; ++j) r[j] = fmaf(g.z_alpha, static_cast<float>(z[j]), r[j]);
  }
  uint2 out;
  int8_t* q = reinterpret_cast<int8_t*>(&out);
#pragma unroll
  for (int j = 0; j < 8; ++j) q[j] = saturate_round<int8_t>(fminf(fmaxf(r[j], g.lo), g.hi), 0);
  *reinterpret_cast<uint2*>(g.y + at) = out;
}

template <class T>
__global__ void __launch_bounds__(T::kThreads, T::kMinBlocksPerSm) conv_int8_imma_kernel(Geometry g) {
  extern __shared__ __align__(128) unsigned char shared[];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  // Neighbouring blocks share their X rows (all channel tiles of one pixel tile come together): L2 serves the rest.
  const int n0 = static_cast<int>(blockIdx.x % g.n_tiles) * T::kBlockN;
  const int m0 = static_cast<int>(blockIdx.x / g.n_tiles) * T::kBlockM;
  const int warp_m = (warp / T::kColumnsOfWarps) * T::kWarpM, warp_n = (warp % T::kColumnsOfWarps) * T::kWarpN;
  const uint32_t smem = static_cast<uint32_t>(__cvta_generic_to_shared(shared));
  const XRows<T> rows(g, m0, tid);

  int acc[T::kMmaM][T::kMmaN][4] = {};
#pragma unroll
  for (int stage = 0; stage < kStages - 1; ++stage) {
    if (stage < g.k_tiles) load_stage<T>(g, rows, n0, tid, smem, stage, stage);
    commit_copies();
  }
  for (int kt = 0; kt < g.k_tiles; ++kt) {
    wait_copies<kStages - 2>();
    __syncthreads();  // slice kt has landed for all; everyone is done with the stage refilled next
    const int next = kt + kStages - 1;
    if (next < g.k_tiles) load_stage<T>(g, rows, n0, tid, smem, next % kStages, next);
    commit_copies();
    const uint32_t x_smem = smem + (kt % kStages) * T::kStageBytes;
    multiply_stage<T>(acc, x_smem, x_smem + T::kBlockM * kStageK, warp_m, warp_n, lane);
  }
  wait_copies<0>();
  __syncthreads();

  // Sums -> scale and bias, as floats in shared memory (accumulator fragments: rows lane/4 and lane/4 + 8,
  // columns 2 * (lane % 4) and the next)...
  float* staging = reinterpret_cast<float*>(shared);
#pragma unroll
  for (int ni = 0; ni < T::kMmaN; ++ni) {
    const int col = warp_n + ni * 8 + 2 * (lane & 3);
    const int channel = n0 + col;
    const bool inside = channel < g.k;  // K is a multiple of 8: both columns or neither
    const float s0 = inside ? g.scale[channel] : 0.f, s1 = inside ? g.scale[channel + 1] : 0.f;
    const float b0 = inside ? g.bias[channel] : 0.f, b1 = inside ? g.bias[channel + 1] : 0.f;
#pragma unroll
    for (int mi = 0; mi < T::kMmaM; ++mi) {
      const int row = warp_m + mi * 16 + (lane >> 2);
      const int* d = acc[mi][ni];
      *reinterpret_cast<float2*>(&staging[row * T::kStagingStride + col]) =
          make_float2(fmaf(static_cast<float>(d[0]), s0, b0), fmaf(static_cast<float>(d[1]), s1, b1));
      *reinterpret_cast<float2*>(&staging[(row + 8) * T::kStagingStride + col]) =
          make_float2(fmaf(static_cast<float>(d[2]), s0, b0), fmaf(static_cast<float>(d[3]), s1, b1));
    }
  }
  __syncthreads();
  // ...then eight channels of one pixel per thread: the residual read and Y written in 8-byte pieces, coalesced.
  constexpr int kGroups = T::kBlockN / 8;
  for (int i = tid; i < T::kBlockM * kGroups; i += T::kThreads) {
    const int row = i / kGroups, group = i % kGroups;
    const int m = m0 + row, channel = n0 + group * 8;
    if (m >= g.m || channel >= g.k) continue;
    store_eight(g, &staging[row * T::kStagingStride + group * 8], static_cast<int64_t>(m) * g.k + channel);
  }
}

template <class T>
void launch_tile(const Geometry& geometry, cudaStream_t stream) {
  Geometry g = geometry;
  g.n_tiles = (g.k + T::kBlockN - 1) / T::kBlockN;
  const int64_t blocks = static_cast<int64_t>((g.m + T::kBlockM - 1) / T::kBlockM) * g.n_tiles;
  if (blocks > INT_MAX) fail_unsupported("kiln int8 convolution: " + std::to_string(blocks) + " blocks is too many to launch");
  KILN_CUDA(cudaFuncSetAttribute(conv_int8_imma_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, T::kSmemBytes));
  conv_int8_imma_kernel<T><<<static_cast<unsigned>(blocks), T::kThreads, T::kSmemBytes, stream>>>(g);
  KILN_CUDA(cudaGetLastError());
}

struct TileEntry {
  const char* name;
  void (*launch)(const Geometry&, cudaStream_t);
};

const TileEntry kTiles[] = {
    {"128x128", launch_tile<Tile128x128>},
    {"128x64", launch_tile<Tile128x64>},
    {"64x128", launch_tile<Tile64x128>},
    {"64x64", launch_tile<Tile64x64>},
};
constexpr int kTileCount = static_cast<int>(sizeof(kTiles) / sizeof(kTiles[0]));

}  // namespace

std::string ConvInt8ImmaShape::unsupported() const {
  if (c % 16 != 0) return "X has " + std::to_string(c) + " channels, not a multiple of 16";
  if (k % 8 != 0) return "Y has " + std::to_string(k) + " channels, not a multiple of 8";
  const int64_t gemm_k = r * s * c, m = n * oh * ow;
  if (n * h * w * c > INT64_C(1) << 40 || gemm_k > INT_MAX || m > INT_MAX || h > INT_MAX || w > INT_MAX)
    return "too large for the kernel's 32-bit indexing";
  return "";
}

std::string ConvInt8ImmaShape::text() const {
  return "X " + std::to_string(n) + "x" + std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c) + ", W " +
         std::to_string(k) + "x" + std::to_string(r) + "x" + std::to_string(s) + ", stride " + std::to_string(stride[0]) +
         "x" + std::to_string(stride[1]) + ", pad " + std::to_string(pad[0]) + "x" + std::to_string(pad[1]) +
         ", dilation " + std::to_string(dilation[0]) + "x" + std::to_string(dilation[1]) + ", Y " + std::to_string(oh) +
         "x" + std::to_string(ow);
}

int conv_int8_imma_tiles() { return kTileCount; }

std::string conv_int8_imma_tile_name(int tile) {
  return tile >= 0 && tile < kTileCount ? kTiles[tile].name : "?";
}

bool conv_int8_imma_aligned(const ConvInt8ImmaArgs& a) {
  const auto at = [](const void* p, uintptr_t n) { return reinterpret_cast<uintptr_t>(p) % n == 0; };
  return at(a.x, 16) && at(a.w, 16) && at(a.y, 8) && (!a.z || at(a.z, 8));
}

void launch_conv_int8_imma(const ConvInt8ImmaArgs& a, int tile, cudaStream_t stream) {
  const ConvInt8ImmaShape& s = a.shape;
  if (const std::string why = s.unsupported(); !why.empty()) fail_unsupported("kiln int8 convolution: " + why);
  if (tile < 0 || tile >= kTileCount) fail_invalid("kiln int8 convolution: no tile shape " + std::to_string(tile));
  if (!conv_int8_imma_aligned(a)) fail_invalid("kiln int8 convolution: X, W, Y or Z is not aligned for 16/8-byte access");
  const int64_t m = s.n * s.oh * s.ow;
  if (m == 0 || s.k == 0) return;
  Geometry g{};
  g.x = a.x, g.w = a.w, g.scale = a.scale, g.bias = a.bias, g.z = a.z, g.y = a.y;
  g.z_alpha = a.z_alpha, g.lo = a.lo, g.hi = a.hi;
  g.in_h = static_cast<int>(s.h), g.in_w = static_cast<int>(s.w), g.c = static_cast<int>(s.c);
  g.k = static_cast<int>(s.k), g.s = static_cast<int>(s.s), g.gemm_k = static_cast<int>(s.r * s.s * s.c);
  g.oh = static_cast<int>(s.oh), g.ow = static_cast<int>(s.ow), g.m = static_cast<int>(m);
  g.stride_h = static_cast<int>(s.stride[0]), g.stride_w = static_cast<int>(s.stride[1]);
  g.pad_h = static_cast<int>(s.pad[0]), g.pad_w = static_cast<int>(s.pad[1]);
  g.dilation_h = static_cast<int>(s.dilation[0]), g.dilation_w = static_cast<int>(s.dilation[1]);
  g.k_tiles = (g.gemm_k + kStageK - 1) / kStageK;
  kTiles[tile].launch(g, stream);
}

}  // namespace kiln::cuda
