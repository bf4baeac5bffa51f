#include "common/conv_int8_imma.hpp"

#include <algorithm>
#include <climits>

#include "common/cuda_check.hpp"

namespace kiln::cuda {

namespace {

// The reduction (R*S*C bytes per output) is consumed 64 bytes per slice, two mma k-steps of 32, through a ring of
// stages that cp.async fills several slices ahead of the tensor cores.
constexpr int kSliceK = 64;

// A block computes kBm output pixels x kBn output channels per tile with kWarpsM x kWarpsN warps, and stays on the
// GPU for many tiles (a persistent grid): its ring of kStages stages runs ahead across tile boundaries, so the
// next tiles' X, W and residual are in flight while this tile's epilogue runs. That is what keeps a layer with a
// short reduction (a 1x1 convolution over 64 channels is one slice per tile) at the memory's bandwidth.
//
// A tile is k_tiles slices of X rows (kBm x 64 bytes) and W rows (kBn x 64 bytes), then one slice for the
// epilogue: the residual tile Z (kBm x kBn bytes, when there is one) is copied into that stage ahead like the
// others, the epilogue reads it there and writes Y's integers in its place, and the block copies them out
// 8 bytes a thread, coalesced.
template <int kBm, int kBn, int kWarpsM, int kWarpsN, int kRing>
struct Tile {
  static constexpr int kBlockM = kBm, kBlockN = kBn, kStages = kRing;
  static constexpr int kThreads = 32 * kWarpsM * kWarpsN;
  static constexpr int kColumnsOfWarps = kWarpsN;
  static constexpr int kWarpM = kBm / kWarpsM, kWarpN = kBn / kWarpsN;
  static constexpr int kMmaM = kWarpM / 16, kMmaN = kWarpN / 8;  // m16n8k32 tiles per warp
  static constexpr int kRowsPerPass = kThreads / 4;              // four 16-byte copies fill a 64-byte row
  static constexpr int kXCopies = kBm / kRowsPerPass, kWCopies = kBn / kRowsPerPass;
  static constexpr int kStageBytes = (kBm + kBn) * kSliceK;
  static constexpr int kSmemBytes = kStages * kStageBytes;
  static constexpr int kMinBlocksPerSm = kThreads >= 256 ? 2 : 4;  // caps registers at 128 per thread
  static_assert(kMmaN % 2 == 0, "B fragments are loaded two n-tiles at a time");
  static_assert(kBm % kRowsPerPass == 0 && kBn % kRowsPerPass == 0, "copies must cover the tile's rows");
  static_assert(kBm * kBn <= kStageBytes, "the epilogue's tile of Z and Y must fit one stage");
};

using Tile256x64 = Tile<256, 64, 4, 2, 4>;    // 8 warps of 64 x 32: many pixels, 64 channels (first layers)
using Tile128x128 = Tile<128, 128, 2, 4, 5>;  // 8 warps of 64 x 32
using Tile128x64 = Tile<128, 64, 4, 2, 6>;    // 8 warps of 32 x 32
using Tile64x128 = Tile<64, 128, 2, 4, 6>;    // 8 warps of 32 x 32: few pixels, many channels
using Tile64x64 = Tile<64, 64, 2, 2, 6>;      // 4 warps of 32 x 32: small layers (batch 1)

// Division by a divisor fixed for the launch, for quotients of non-negative ints below 2^31: a multiply-high, an
// add and a shift instead of the ~20 instructions of an integer division (Granlund and Montgomery's round-up
// method; the add cannot overflow since the multiply-high is at most the dividend).
struct FastDivisor {
  uint32_t divisor = 1, multiplier = 0, shift = 0;
  static FastDivisor of(uint32_t d) {
    FastDivisor f;
    f.divisor = d;
    while ((uint64_t{1} << f.shift) < d) ++f.shift;
    f.multiplier = static_cast<uint32_t>(((uint64_t{1} << 32) * ((uint64_t{1} << f.shift) - d)) / d + 1);
    return f;
  }
  __device__ __forceinline__ int quotient(int n) const {
    const uint32_t u = static_cast<uint32_t>(n);
    return static_cast<int>((__umulhi(u, multiplier) + u) >> shift);
  }
};

struct Geometry {
  const int8_t* x;
  const int8_t* w;
  const float* scale;
  const float* bias;
  const int8_t* z;
  int8_t* y;
  float* y_real;  // set: Y written as float32 reals instead of y's integers
  float z_alpha, lo, hi;
  int in_h, in_w, c, k, s, gemm_k, oh, ow, m;  // gemm_k = R*S*C, m = N*OH*OW
  int stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  int n_tiles, tiles, k_tiles;
  FastDivisor by_ow, by_oh, by_n_tiles, by_c, by_s;
  bool small_sums;  // every int32 sum is at most 2^22 in magnitude: converted exactly without I2F
};

// Byte offset of 16-byte chunk `chunk` (0..3) of row `row` in a stage: rows of 64 bytes, chunks XOR-swizzled by
// row pairs so that ldmatrix's eight rows of one chunk fall in eight different bank groups.
__device__ __forceinline__ uint32_t swizzled(int row, int chunk) {
  return static_cast<uint32_t>(row * kSliceK + ((chunk ^ ((row >> 1) & 3)) << 4));
}

// Byte offset of (row, col) in the epilogue's kBn-byte rows: 8-byte units XOR-swizzled by row, so that the
// accumulator fragments' eight rows of one column pair fall in different banks.
template <int kBn>
__device__ __forceinline__ int tile_byte(int row, int col) {
  return row * kBn + ((((col >> 3) ^ (row & 7))) << 3) + (col & 7);
}

// 16 (8) bytes global -> shared, asynchronously; zeros when !valid (src is then never read).
__device__ __forceinline__ void copy16(uint32_t to, const void* from, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(to), "l"(from), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void copy8(uint32_t to, const void* from, bool valid) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(to), "l"(from), "r"(valid ? 8 : 0));
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

// Where one thread's X copies for one tile come from: per output pixel it copies for, the image and the window's
// top-left corner in X (negative inside the padding; far below zero for a pixel past the last, so that every tap
// of it reads as outside X).
template <class T>
struct XRows {
  int image[T::kXCopies], top[T::kXCopies], left[T::kXCopies];

  __device__ void set(const Geometry& g, int m0, int tid) {
#pragma unroll
    for (int i = 0; i < T::kXCopies; ++i) {
      const int m = m0 + (tid >> 2) + i * T::kRowsPerPass;
      const bool valid = m < g.m;
      const int p = valid ? m : 0;
      const int rest = g.by_ow.quotient(p), ow = p - rest * g.ow;
      const int n = g.by_oh.quotient(rest), oh = rest - n * g.oh;
      image[i] = n;
      top[i] = valid ? oh * g.stride_h - g.pad_h : INT_MIN / 2;
      left[i] = ow * g.stride_w - g.pad_w;
    }
  }
};

// Where a thread's 16 bytes of the reduction are in the current slice: position k0 of R*S*C, which is filter tap
// (r, s) and channels from `channel`. Moved along slice by slice, without divisions.
struct ReductionPosition {
  int k0, r, s, channel;
  // `k` bytes further (C is a multiple of 16: a chunk never straddles two taps).
  __device__ __forceinline__ void advance(const Geometry& g, int k) {
    k0 += k, channel += k;
    const int taps = g.by_c.quotient(channel);
    channel -= taps * g.c;
    s += taps;
    const int rows = g.by_s.quotient(s);
    s -= rows * g.s, r += rows;
  }
  // The position of chunk `chunk` in a tile's first slice.
  __device__ __forceinline__ static ReductionPosition first(const Geometry& g, int chunk) {
    ReductionPosition p{0, 0, 0, 0};
    p.advance(g, chunk * 16);
    return p;
  }
};

// Copies one reduction slice (64 bytes of R*S*C) of a tile's X rows and W rows into the stage at `stage`. Each
// thread copies chunk (tid & 3) of its rows, at `at`: one filter tap and 16 channels.
template <class T>
__device__ __forceinline__ void load_slice(const Geometry& g, const XRows<T>& rows, int n0, int tid, uint32_t stage,
                                           const ReductionPosition& at) {
  const int chunk = tid & 3;
  const int k0 = at.k0, r = at.r, s = at.s, channel = at.channel;
  const bool k_inside = k0 < g.gemm_k;
#pragma unroll
  for (int i = 0; i < T::kXCopies; ++i) {
    const int row = (tid >> 2) + i * T::kRowsPerPass;
    const int ih = rows.top[i] + r * g.dilation_h, iw = rows.left[i] + s * g.dilation_w;
    const bool valid = k_inside && ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
    const int64_t pixel = (static_cast<int64_t>(rows.image[i]) * g.in_h + ih) * g.in_w + iw;
    const int8_t* from = valid ? g.x + pixel * g.c + channel : g.x;
    copy16(stage + swizzled(row, chunk), from, valid);
  }
  const uint32_t w_stage = stage + T::kBlockM * kSliceK;
#pragma unroll
  for (int i = 0; i < T::kWCopies; ++i) {
    const int row = (tid >> 2) + i * T::kRowsPerPass;
    const int out_channel = n0 + row;
    const bool valid = out_channel < g.k && k_inside;
    const int8_t* from = valid ? g.w + static_cast<int64_t>(out_channel) * g.gemm_k + k0 : g.w;
    copy16(w_stage + swizzled(row, chunk), from, valid);
  }
}

// The 8-byte units of a tile of Y or Z (kBm x kBn bytes) a thread moves: one column of units, every
// kRowsPerPass-th row from its first. kRowsPerPass is a multiple of 8, so the unit's swizzled place in the stage
// moves by a constant from row to row.
template <class T>
struct TileUnits {
  static constexpr int kUnits = T::kBlockN / 8, kRowsPerPass = T::kThreads / kUnits;
  static_assert(kRowsPerPass % 8 == 0 && T::kBlockM % kRowsPerPass == 0, "units must cover the tile");
  int row, col;
  __device__ __forceinline__ explicit TileUnits(int tid) : row(tid / kUnits), col((tid % kUnits) * 8) {}
};

// Copies a tile's residual Z (kBm x kBn bytes) into the stage at `stage`, 8 bytes per copy.
template <class T>
__device__ __forceinline__ void load_residual(const Geometry& g, int m0, int n0, int tid, uint32_t stage) {
  using Units = TileUnits<T>;
  const Units u(tid);
  const int channel = n0 + u.col;
  const int8_t* from = g.z + static_cast<int64_t>(m0 + u.row) * g.k + channel;
  const int64_t step = static_cast<int64_t>(Units::kRowsPerPass) * g.k;
  const uint32_t to = stage + tile_byte<T::kBlockN>(u.row, u.col);
#pragma unroll
  for (int i = 0; i < T::kBlockM / Units::kRowsPerPass; ++i, from += step) {
    const bool valid = m0 + u.row + i * Units::kRowsPerPass < g.m && channel < g.k;
    copy8(to + i * Units::kRowsPerPass * T::kBlockN, valid ? from : g.z, valid);
  }
}

// A thread's ldmatrix addresses in a stage, per k-step: for A (X rows) the offset of its row in the warp's first
// m16 tile, for B (W rows) in its first pair of n8 tiles. The other tiles are 16 rows (1024 bytes) further each,
// an immediate in the instruction: the swizzle's XOR term depends on the row only through (row >> 1) & 3, which
// is the same for rows 16 apart. Computed once per thread; the loop adds the stage.
template <class T>
struct MatrixOffsets {
  uint32_t a[2], b[2];
  __device__ __forceinline__ MatrixOffsets(int warp_m, int warp_n, int lane) {
#pragma unroll
    for (int step = 0; step < 2; ++step) {
      // A: rows 0-7 and 8-15 of the first 16 bytes, then of the second 16 (a0..a3 of m16n8k32).
      a[step] = swizzled(warp_m + (lane & 7) + ((lane >> 3) & 1) * 8, step * 2 + (lane >> 4));
      // B: n-tile 2nj's two 16-byte halves (b0, b1), then n-tile 2nj+1's.
      b[step] = T::kBlockM * kSliceK + swizzled(warp_n + (lane & 7) + (lane >> 4) * 8, step * 2 + ((lane >> 3) & 1));
    }
  }
};

// One stage's 64 bytes of reduction: two k-steps of 32, each warp's kMmaM x kMmaN tensor-core tiles.
template <class T>
__device__ __forceinline__ void multiply_slice(int (&acc)[T::kMmaM][T::kMmaN][4], uint32_t stage, const MatrixOffsets<T>& at) {
#pragma unroll
  for (int step = 0; step < 2; ++step) {
    uint32_t a[T::kMmaM][4], b[T::kMmaN][2];
    const uint32_t a_base = stage + at.a[step], b_base = stage + at.b[step];
#pragma unroll
    for (int mi = 0; mi < T::kMmaM; ++mi) load_matrices(a[mi], a_base + mi * 16 * kSliceK);
#pragma unroll
    for (int nj = 0; nj < T::kMmaN / 2; ++nj) {
      uint32_t r[4];
      load_matrices(r, b_base + nj * 16 * kSliceK);
      b[2 * nj][0] = r[0], b[2 * nj][1] = r[1], b[2 * nj + 1][0] = r[2], b[2 * nj + 1][1] = r[3];
    }
#pragma unroll
    for (int mi = 0; mi < T::kMmaM; ++mi)
#pragma unroll
      for (int ni = 0; ni < T::kMmaN; ++ni) mma_int8(acc[mi][ni], a[mi], b[ni][0], b[ni][1]);
  }
}

// Exact conversions between small integers and floats on the full-rate pipes: a float with exponent 2^23 holds
// an integer in its mantissa, so adding 1.5 * 2^23 rounds a real to the nearest integer (half to even, the default
// rounding) and leaves it in the low bits, and the same bits minus 1.5 * 2^23 give an integer's float. Measured
// with Nsight Compute on the H100, the I2F/F2I conversions (a quarter of the rate) bound the epilogue of a 1x1
// layer: three per output value.
constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
constexpr int kMagicBits = 0x4B400000;
constexpr int kExactLimit = 1 << 22;   // |integer| up to this converts exactly

__device__ __forceinline__ float small_int_to_float(int v) { return __int_as_float(v + kMagicBits) - kMagic; }
// The low byte of round_half_even(v) for v in [-128, 127].
__device__ __forceinline__ uint32_t rounded_bits(float v) { return __float_as_uint(v + kMagic); }

// Byte kByte of v as a signed integer: one PRMT in its sign-replicating mode (selector bit 3), which the
// __byte_perm intrinsic does not offer.
template <int kByte>
__device__ __forceinline__ int sign_extended_byte(uint32_t v) {
  int r;
  asm("prmt.b32 %0, %1, 0, %2;" : "=r"(r) : "r"(v), "n"(kByte | ((kByte | 8) << 4) | ((kByte | 8) << 8) | ((kByte | 8) << 12)));
  return r;
}

// Two neighbouring channels of one pixel: rescaled, the residual added, clamped and rounded onto Y's grid. The
// clamp to [lo, hi] and the saturation to [-128, 127] are one clamp (g.lo and g.hi hold both).
template <bool kResidual>
__device__ __forceinline__ uint32_t requantize_pair(const Geometry& g, int sum0, int sum1, float s0, float s1, float b0,
                                                    float b1, uint32_t z_pair) {
  const float f0 = g.small_sums ? small_int_to_float(sum0) : static_cast<float>(sum0);
  const float f1 = g.small_sums ? small_int_to_float(sum1) : static_cast<float>(sum1);
  float v0 = fmaf(f0, s0, b0), v1 = fmaf(f1, s1, b1);
  if (kResidual) {
    v0 = fmaf(g.z_alpha, small_int_to_float(sign_extended_byte<0>(z_pair)), v0);
    v1 = fmaf(g.z_alpha, small_int_to_float(sign_extended_byte<1>(z_pair)), v1);
  }
  const uint32_t q0 = rounded_bits(fminf(fmaxf(v0, g.lo), g.hi)), q1 = rounded_bits(fminf(fmaxf(v1, g.lo), g.hi));
  return __byte_perm(q0, q1, 0x0040);  // bytes: q0's low, q1's low
}

// The tile's epilogue in its stage `bytes`: each thread turns its accumulator fragments (rows lane/4 and
// lane/4 + 8, columns 2 * (lane % 4) and the next) into Y's integers where Z's were (kResidual: one copy of the
// code with the residual, one without, so that no value tests for it), then the block copies them out.
template <class T, bool kResidual>
__device__ __forceinline__ void requantize_tile(const Geometry& g, const int (&acc)[T::kMmaM][T::kMmaN][4], uint8_t* bytes,
                                                int n0, int warp_m, int warp_n, int lane) {
#pragma unroll
  for (int ni = 0; ni < T::kMmaN; ++ni) {
    const int col = warp_n + ni * 8 + 2 * (lane & 3);
    const int channel = n0 + col;
    const bool inside = channel < g.k;  // K is a multiple of 8: both columns or neither
    const float s0 = inside ? g.scale[channel] : 0.f, s1 = inside ? g.scale[channel + 1] : 0.f;
    const float b0 = inside ? g.bias[channel] : 0.f, b1 = inside ? g.bias[channel + 1] : 0.f;
#pragma unroll
    for (int mi = 0; mi < T::kMmaM; ++mi)
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int row = warp_m + mi * 16 + (lane >> 2) + half * 8;
        uint16_t* pair = reinterpret_cast<uint16_t*>(bytes + tile_byte<T::kBlockN>(row, col));
        const int* d = acc[mi][ni] + 2 * half;
        *pair = static_cast<uint16_t>(requantize_pair<kResidual>(g, d[0], d[1], s0, s1, b0, b1, kResidual ? *pair : 0u));
      }
  }
}

// The tile's epilogue for reals out: each thread stores its pairs of neighbouring channels straight to Y (8 bytes
// each, four lanes filling 32 contiguous bytes of a row), the residual read from the stage as the integer path
// reads it.
template <class T>
__device__ __forceinline__ void write_reals(const Geometry& g, const int (&acc)[T::kMmaM][T::kMmaN][4], const uint8_t* bytes,
                                            int m0, int n0, int warp_m, int warp_n, int lane) {
#pragma unroll
  for (int ni = 0; ni < T::kMmaN; ++ni) {
    const int col = warp_n + ni * 8 + 2 * (lane & 3);
    const int channel = n0 + col;
    if (channel >= g.k) continue;  // K is a multiple of 8: both columns or neither
    const float s0 = g.scale[channel], s1 = g.scale[channel + 1], b0 = g.bias[channel], b1 = g.bias[channel + 1];
#pragma unroll
    for (int mi = 0; mi < T::kMmaM; ++mi)
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int row = warp_m + mi * 16 + (lane >> 2) + half * 8;
        if (m0 + row >= g.m) continue;
        const int* d = acc[mi][ni] + 2 * half;
        float v0 = fmaf(static_cast<float>(d[0]), s0, b0), v1 = fmaf(static_cast<float>(d[1]), s1, b1);
        if (g.z) {
          const uint32_t z_pair = *reinterpret_cast<const uint16_t*>(bytes + tile_byte<T::kBlockN>(row, col));
          v0 = fmaf(g.z_alpha, static_cast<float>(sign_extended_byte<0>(z_pair)), v0);
          v1 = fmaf(g.z_alpha, static_cast<float>(sign_extended_byte<1>(z_pair)), v1);
        }
        *reinterpret_cast<float2*>(g.y_real + static_cast<int64_t>(m0 + row) * g.k + channel) =
            make_float2(fminf(fmaxf(v0, g.lo), g.hi), fminf(fmaxf(v1, g.lo), g.hi));
      }
  }
}

// kReals: Y as float32 (a kernel of its own, so that the integer kernels keep their registers).
template <class T, bool kReals>
__device__ __forceinline__ void finish_tile(const Geometry& g, const int (&acc)[T::kMmaM][T::kMmaN][4], uint8_t* bytes,
                                            int m0, int n0, int warp_m, int warp_n, int lane, int tid) {
  if (kReals) return write_reals<T>(g, acc, bytes, m0, n0, warp_m, warp_n, lane);
  if (g.z) requantize_tile<T, true>(g, acc, bytes, n0, warp_m, warp_n, lane);
  else requantize_tile<T, false>(g, acc, bytes, n0, warp_m, warp_n, lane);
  __syncthreads();
  using Units = TileUnits<T>;
  const Units u(tid);
  const int channel = n0 + u.col;
  if (channel >= g.k) return;
  int8_t* to = g.y + static_cast<int64_t>(m0 + u.row) * g.k + channel;
  const int64_t step = static_cast<int64_t>(Units::kRowsPerPass) * g.k;
  const uint8_t* from = bytes + tile_byte<T::kBlockN>(u.row, u.col);
#pragma unroll
  for (int i = 0; i < T::kBlockM / Units::kRowsPerPass; ++i, to += step)
    if (m0 + u.row + i * Units::kRowsPerPass < g.m)
      *reinterpret_cast<uint2*>(to) = *reinterpret_cast<const uint2*>(from + i * Units::kRowsPerPass * T::kBlockN);
}

// Tile t's first output pixel and channel: neighbouring tiles share their pixels (see the kernel).
struct TileOrigin {
  int m0, n0;
  template <class T>
  __device__ __forceinline__ static TileOrigin of(const Geometry& g, int t) {
    const int pixels = g.by_n_tiles.quotient(t);
    return TileOrigin{pixels * T::kBlockM, (t - pixels * g.n_tiles) * T::kBlockN};
  }
};

// The slices a block copies, in order: per tile of its own, k_tiles slices of X and W, then the residual's.
template <class T>
struct SliceLoader {
  int next = 0, tile = 0, kt = 0;  // the next slice to copy: its number, the block's tile number, its slice in it
  int m0 = 0, n0 = 0;
  XRows<T> rows;
  ReductionPosition at;

  __device__ void copy_next(const Geometry& g, int slices, int tid, uint32_t smem) {
    if (next < slices) {
      if (kt == 0) {
        const int t = static_cast<int>(blockIdx.x) + tile * static_cast<int>(gridDim.x);
        const TileOrigin o = TileOrigin::of<T>(g, t);
        m0 = o.m0, n0 = o.n0;
        rows.set(g, m0, tid);
        at = ReductionPosition::first(g, tid & 3);
      }
      const uint32_t stage = smem + (next % T::kStages) * T::kStageBytes;
      if (kt < g.k_tiles) {
        load_slice<T>(g, rows, n0, tid, stage, at);
        at.advance(g, kSliceK);
      } else if (g.z) {
        load_residual<T>(g, m0, n0, tid, stage);
      }
      ++next;
      if (++kt == g.k_tiles + 1) kt = 0, ++tile;
    }
    commit_copies();  // one group per slice, empty or not, so that the waits below count slices
  }
};

template <class T, bool kReals>
__global__ void __launch_bounds__(T::kThreads, T::kMinBlocksPerSm) conv_int8_imma_kernel(Geometry g) {
  extern __shared__ __align__(128) uint8_t shared[];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int warp_m = (warp / T::kColumnsOfWarps) * T::kWarpM, warp_n = (warp % T::kColumnsOfWarps) * T::kWarpN;
  const uint32_t smem = static_cast<uint32_t>(__cvta_generic_to_shared(shared));
  // Tiles blockIdx.x, + gridDim.x, ...: neighbouring blocks take the channel tiles of one pixel tile together,
  // so X rows are read from memory once and from L2 after.
  const int my_tiles = (g.tiles - static_cast<int>(blockIdx.x) + static_cast<int>(gridDim.x) - 1) / static_cast<int>(gridDim.x);
  const int per_tile = g.k_tiles + 1, slices = my_tiles * per_tile;
  SliceLoader<T> loader;
  const MatrixOffsets<T> offsets(warp_m, warp_n, lane);
#pragma unroll 1
  for (int i = 0; i < T::kStages - 1; ++i) loader.copy_next(g, slices, tid, smem);

  int slice = 0;
#pragma unroll 1
  for (int i = 0; i < my_tiles; ++i) {
    const int t = static_cast<int>(blockIdx.x) + i * static_cast<int>(gridDim.x);
    const TileOrigin o = TileOrigin::of<T>(g, t);
    const int n0 = o.n0, m0 = o.m0;
    int acc[T::kMmaM][T::kMmaN][4] = {};
#pragma unroll 1
    for (int kt = 0; kt < per_tile; ++kt, ++slice) {
      wait_copies<T::kStages - 2>();
      __syncthreads();  // this slice has landed for all; everyone is done with the stage refilled now
      loader.copy_next(g, slices, tid, smem);
      const int stage = (slice % T::kStages) * T::kStageBytes;
      if (kt < g.k_tiles) multiply_slice<T>(acc, smem + stage, offsets);
      else finish_tile<T, kReals>(g, acc, shared + stage, m0, n0, warp_m, warp_n, lane, tid);
    }
  }
  wait_copies<0>();
}

template <class T, bool kReals>
void launch_variant(const Geometry& geometry, cudaStream_t stream) {
  // Once per process: the shared memory the kernel asks for, and how many of its blocks the GPU holds at once.
  static const int resident = [] {
    KILN_CUDA(cudaFuncSetAttribute(conv_int8_imma_kernel<T, kReals>, cudaFuncAttributeMaxDynamicSharedMemorySize, T::kSmemBytes));
    int device = 0, sms = 0, per_sm = 0;
    KILN_CUDA(cudaGetDevice(&device));
    KILN_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    KILN_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, conv_int8_imma_kernel<T, kReals>, T::kThreads, T::kSmemBytes));
    return std::max(1, sms * per_sm);
  }();
  Geometry g = geometry;
  g.n_tiles = (g.k + T::kBlockN - 1) / T::kBlockN;
  g.by_n_tiles = FastDivisor::of(static_cast<uint32_t>(g.n_tiles));
  const int64_t tiles = static_cast<int64_t>((g.m + T::kBlockM - 1) / T::kBlockM) * g.n_tiles;
  if (tiles > INT_MAX / 2) fail_unsupported("kiln int8 convolution: " + std::to_string(tiles) + " tiles is too many");
  g.tiles = static_cast<int>(tiles);
  const int blocks = static_cast<int>(std::min<int64_t>(tiles, resident));
  conv_int8_imma_kernel<T, kReals><<<static_cast<unsigned>(blocks), T::kThreads, T::kSmemBytes, stream>>>(g);
  KILN_CUDA(cudaGetLastError());
}

template <class T>
void launch_tile(const Geometry& geometry, cudaStream_t stream) {
  if (geometry.y_real) launch_variant<T, true>(geometry, stream);
  else launch_variant<T, false>(geometry, stream);
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
    {"256x64", launch_tile<Tile256x64>},
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
  return at(a.x, 16) && at(a.w, 16) && (a.y_real ? at(a.y_real, 8) : at(a.y, 8)) && (!a.z || at(a.z, 8));
}

void launch_conv_int8_imma(const ConvInt8ImmaArgs& a, int tile, cudaStream_t stream) {
  const ConvInt8ImmaShape& s = a.shape;
  if (const std::string why = s.unsupported(); !why.empty()) fail_unsupported("kiln int8 convolution: " + why);
  if (tile < 0 || tile >= kTileCount) fail_invalid("kiln int8 convolution: no tile shape " + std::to_string(tile));
  if (!conv_int8_imma_aligned(a)) fail_invalid("kiln int8 convolution: X, W, Y or Z is not aligned for 16/8-byte access");
  const int64_t m = s.n * s.oh * s.ow;
  if (m == 0 || s.k == 0) return;
  Geometry g{};
  g.x = a.x, g.w = a.w, g.scale = a.scale, g.bias = a.bias, g.z = a.z, g.y = a.y, g.y_real = a.y_real;
  // The clamp and, for integers out, int8's range as one clamp (requantize_pair).
  g.z_alpha = a.z_alpha, g.lo = a.lo, g.hi = a.hi;
  if (!a.y_real) g.lo = std::max(a.lo, -128.0f), g.hi = std::min(a.hi, 127.0f);
  g.in_h = static_cast<int>(s.h), g.in_w = static_cast<int>(s.w), g.c = static_cast<int>(s.c);
  g.k = static_cast<int>(s.k), g.s = static_cast<int>(s.s), g.gemm_k = static_cast<int>(s.r * s.s * s.c);
  g.oh = static_cast<int>(s.oh), g.ow = static_cast<int>(s.ow), g.m = static_cast<int>(m);
  g.stride_h = static_cast<int>(s.stride[0]), g.stride_w = static_cast<int>(s.stride[1]);
  g.pad_h = static_cast<int>(s.pad[0]), g.pad_w = static_cast<int>(s.pad[1]);
  g.dilation_h = static_cast<int>(s.dilation[0]), g.dilation_w = static_cast<int>(s.dilation[1]);
  g.k_tiles = (g.gemm_k + kSliceK - 1) / kSliceK;
  g.by_ow = FastDivisor::of(static_cast<uint32_t>(g.ow)), g.by_oh = FastDivisor::of(static_cast<uint32_t>(g.oh));
  g.by_c = FastDivisor::of(static_cast<uint32_t>(g.c)), g.by_s = FastDivisor::of(static_cast<uint32_t>(g.s));
  g.small_sums = static_cast<int64_t>(g.gemm_k) * 128 * 128 <= kExactLimit;
  kTiles[tile].launch(g, stream);
}

}  // namespace kiln::cuda
