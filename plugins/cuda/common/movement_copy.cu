// Strided copies (see movement_copy.hpp): plan the walk on the host, then one of a memcpy, a tiled transpose
// or a generic grid-stride kernel.
#include "common/movement_copy.hpp"

#include <string>

#include "common/cuda_check.hpp"
#include "common/movement_element.cuh"
#include "common/movement_index.cuh"
#include "common/movement_shape.hpp"

namespace kiln::cuda::movement {
namespace {

// The tiled transpose moves kTile x kTile blocks through shared memory with kTile x kTileRows threads; it pays
// off once both contiguous dims span at least kMinTileExtent elements.
constexpr int kTile = 32;
constexpr int kTileRows = 8;
constexpr int64_t kMinTileExtent = 16;

enum class CopyKind { Nothing, Memcpy, Tiled, Generic };

// A copy after simplification: walk.strides[0] are the source's, walk.strides[1] the destination's.
struct CopyPlan {
  CopyKind kind = CopyKind::Nothing;
  Walk walk;
  int64_t src_offset = 0, dst_offset = 0;
  size_t element_bytes = 0;
  int tile_a = -1;  // Tiled: the dim contiguous in the source (the destination's contiguous dim is the last)
};

bool aligned(const void* p, size_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// Whether the copy would write every element onto itself.
bool onto_itself(const void* src, const void* dst, const CopyPlan& p) {
  const uintptr_t from =
      reinterpret_cast<uintptr_t>(src) + static_cast<uintptr_t>(p.src_offset * static_cast<int64_t>(p.element_bytes));
  const uintptr_t to =
      reinterpret_cast<uintptr_t>(dst) + static_cast<uintptr_t>(p.dst_offset * static_cast<int64_t>(p.element_bytes));
  return from == to && p.walk.strides[0] == p.walk.strides[1];
}

// When the innermost dim is contiguous on both sides, moves `factor` neighbouring elements as one wider word
// (up to 16 bytes): the innermost extent, every other stride and both offsets must be multiples of the factor,
// and both base pointers aligned to the word.
void widen(CopyPlan& p, const void* src, const void* dst) {
  std::vector<int64_t>& dims = p.walk.dims;
  std::vector<int64_t>& from = p.walk.strides[0];
  std::vector<int64_t>& to = p.walk.strides[1];
  const size_t last = dims.size() - 1;
  if (from[last] != 1 || to[last] != 1) return;
  for (size_t word = 16; word > p.element_bytes; word /= 2) {
    const int64_t factor = static_cast<int64_t>(word / p.element_bytes);
    bool ok = dims[last] % factor == 0 && p.src_offset % factor == 0 && p.dst_offset % factor == 0 &&
              aligned(src, word) && aligned(dst, word);
    for (size_t d = 0; d < last && ok; ++d) ok = from[d] % factor == 0 && to[d] % factor == 0;
    if (!ok) continue;
    dims[last] /= factor;
    for (size_t d = 0; d < last; ++d) {
      from[d] /= factor;
      to[d] /= factor;
    }
    p.src_offset /= factor;
    p.dst_offset /= factor;
    p.element_bytes = word;
    return;
  }
}

// The source dim to tile against the destination's contiguous last dim, or -1 when a tiled transpose does not
// apply (the last dim is contiguous on both sides, or not in the destination, or the dims are too short).
int tiled_dim(const CopyPlan& p) {
  const std::vector<int64_t>& dims = p.walk.dims;
  const std::vector<int64_t>& from = p.walk.strides[0];
  const size_t last = dims.size() - 1;
  if (dims.size() < 2 || p.walk.strides[1][last] != 1 || from[last] == 1 || dims[last] < kMinTileExtent) return -1;
  for (size_t a = 0; a < last; ++a)
    if (from[a] == 1 && dims[a] >= kMinTileExtent) return static_cast<int>(a);
  return -1;
}

CopyPlan plan_copy(const void* src, const void* dst, size_t element_bytes, const StridedCopy& copy) {
  if (copy.src_strides.size() != copy.dims.size() || copy.dst_strides.size() != copy.dims.size())
    fail_invalid("strided copy: " + std::to_string(copy.dims.size()) + " dims but " +
                 std::to_string(copy.src_strides.size()) + " source and " + std::to_string(copy.dst_strides.size()) +
                 " destination strides");
  for (int64_t d : copy.dims)
    if (d < 0) fail_invalid("strided copy: negative dim in " + dims_text(copy.dims));
  CopyPlan p;
  p.element_bytes = element_bytes;
  p.src_offset = copy.src_offset;
  p.dst_offset = copy.dst_offset;
  p.walk.dims = copy.dims;
  p.walk.strides = {copy.src_strides, copy.dst_strides};
  if (p.walk.count() == 0) return p;
  p.walk.simplify();
  if (onto_itself(src, dst, p)) return p;
  widen(p, src, dst);
  if (p.walk.rank() > kMaxMovementRank)
    fail_unsupported("strided copy: " + std::to_string(p.walk.rank()) + " dims remain after merging (" +
                     dims_text(p.walk.dims) + "), more than the " + std::to_string(kMaxMovementRank) + " supported");
  const bool contiguous = p.walk.rank() == 1 && p.walk.strides[0][0] == 1 && p.walk.strides[1][0] == 1;
  p.tile_a = contiguous ? -1 : tiled_dim(p);
  p.kind = contiguous ? CopyKind::Memcpy : p.tile_a >= 0 ? CopyKind::Tiled : CopyKind::Generic;
  return p;
}

// ---- generic: one element per iteration of a grid-stride loop

template <class Index>
struct GenericCopyParams {
  IndexSpace<Index> space;
  Index src_strides[kMaxMovementRank];
  Index dst_strides[kMaxMovementRank];
  Index src_offset, dst_offset, total;
};

template <class T, class Index>
__host__ __device__ inline void copy_element(const T* src, T* dst, const GenericCopyParams<Index>& p, Index i) {
  Index c[kMaxMovementRank] = {};
  p.space.coords(i, c);
  dst[p.dst_offset + dot(c, p.dst_strides, p.space.rank)] = src[p.src_offset + dot(c, p.src_strides, p.space.rank)];
}

template <class T, class Index>
__global__ void generic_copy_kernel(const T* __restrict__ src, T* __restrict__ dst, GenericCopyParams<Index> p) {
  for (Index i = grid_start<Index>(); i < p.total; i += grid_stride<Index>()) copy_element(src, dst, p, i);
}

template <class Index>
GenericCopyParams<Index> generic_params(const CopyPlan& plan) {
  GenericCopyParams<Index> p;
  p.space = make_index_space<Index>(plan.walk.dims);
  to_index_array(plan.walk.strides[0], p.src_strides);
  to_index_array(plan.walk.strides[1], p.dst_strides);
  p.src_offset = static_cast<Index>(plan.src_offset);
  p.dst_offset = static_cast<Index>(plan.dst_offset);
  p.total = static_cast<Index>(plan.walk.count());
  return p;
}

template <class Index>
void launch_generic(const void* src, void* dst, const CopyPlan& plan, cudaStream_t stream) {
  const GenericCopyParams<Index> p = generic_params<Index>(plan);
  dispatch_element_size</*kAllowWide=*/true>(plan.element_bytes, "strided copy", [&](auto tag) {
    using T = decltype(tag);
    generic_copy_kernel<T, Index><<<movement_blocks(plan.walk.count()), kMovementThreads, 0, stream>>>(
        static_cast<const T*>(src), static_cast<T*>(dst), p);
    KILN_CUDA_LAUNCHED();
  });
}

// ---- tiled: a batch of 2-D transposes through shared memory

// Dim a is contiguous in the source, dim b (the walk's last) in the destination; the other dims are a batch.
struct TileParams {
  int batch_rank = 0;
  int64_t batch_dims[kMaxMovementRank] = {};
  int64_t batch_src[kMaxMovementRank] = {};
  int64_t batch_dst[kMaxMovementRank] = {};
  int64_t extent_a = 0, extent_b = 0;
  int64_t src_stride_b = 0, dst_stride_a = 0;  // the other strides of the pair are 1
  int64_t src_offset = 0, dst_offset = 0;
  int64_t tiles_a = 0, tiles_b = 0, tiles = 0;
};

// Where tile t starts: its first a and b, and the batch's base offsets on each side.
__host__ __device__ inline void tile_origin(const TileParams& p, int64_t t, int64_t& a0, int64_t& b0, int64_t& src_base,
                                            int64_t& dst_base) {
  a0 = (t % p.tiles_a) * kTile;
  t /= p.tiles_a;
  b0 = (t % p.tiles_b) * kTile;
  t /= p.tiles_b;
  src_base = p.src_offset;
  dst_base = p.dst_offset;
  KILN_MOVEMENT_UNROLL
  for (int d = kMaxMovementRank - 1; d >= 0; --d) {
    if (d < p.batch_rank) {
      const int64_t c = t % p.batch_dims[d];
      t /= p.batch_dims[d];
      src_base += c * p.batch_src[d];
      dst_base += c * p.batch_dst[d];
    }
  }
}

// One block per tile (grid-stride over tiles): threads read a row of the tile along a (coalesced in the
// source), then write a row along b (coalesced in the destination). The padding column keeps the column reads
// of shared memory free of bank conflicts.
template <class T>
__global__ void tiled_copy_kernel(const T* __restrict__ src, T* __restrict__ dst, TileParams p) {
  __shared__ T tile[kTile][kTile + 1];
  for (int64_t t = blockIdx.x; t < p.tiles; t += gridDim.x) {
    int64_t a0, b0, src_base, dst_base;
    tile_origin(p, t, a0, b0, src_base, dst_base);
    for (int k = threadIdx.y; k < kTile; k += kTileRows) {
      const int64_t a = a0 + threadIdx.x, b = b0 + k;
      if (a < p.extent_a && b < p.extent_b) tile[k][threadIdx.x] = src[src_base + a + b * p.src_stride_b];
    }
    __syncthreads();
    for (int k = threadIdx.y; k < kTile; k += kTileRows) {
      const int64_t b = b0 + threadIdx.x, a = a0 + k;
      if (a < p.extent_a && b < p.extent_b) dst[dst_base + b + a * p.dst_stride_a] = tile[threadIdx.x][k];
    }
    __syncthreads();  // the next tile overwrites `tile`
  }
}

TileParams tile_params(const CopyPlan& plan) {
  const Walk& w = plan.walk;
  const int last = w.rank() - 1, a = plan.tile_a;
  TileParams p;
  for (int d = 0; d < last; ++d) {
    if (d == a) continue;
    p.batch_dims[p.batch_rank] = w.dims[static_cast<size_t>(d)];
    p.batch_src[p.batch_rank] = w.strides[0][static_cast<size_t>(d)];
    p.batch_dst[p.batch_rank] = w.strides[1][static_cast<size_t>(d)];
    ++p.batch_rank;
  }
  p.extent_a = w.dims[static_cast<size_t>(a)];
  p.extent_b = w.dims[static_cast<size_t>(last)];
  p.src_stride_b = w.strides[0][static_cast<size_t>(last)];
  p.dst_stride_a = w.strides[1][static_cast<size_t>(a)];
  p.src_offset = plan.src_offset;
  p.dst_offset = plan.dst_offset;
  p.tiles_a = (p.extent_a + kTile - 1) / kTile;
  p.tiles_b = (p.extent_b + kTile - 1) / kTile;
  p.tiles = w.count() / (p.extent_a * p.extent_b) * p.tiles_a * p.tiles_b;
  return p;
}

void launch_tiled(const void* src, void* dst, const CopyPlan& plan, cudaStream_t stream) {
  const TileParams p = tile_params(plan);
  constexpr int64_t kMaxTileBlocks = 65536;
  const unsigned blocks = static_cast<unsigned>(p.tiles < kMaxTileBlocks ? p.tiles : kMaxTileBlocks);
  dispatch_element_size(plan.element_bytes, "strided copy", [&](auto tag) {
    using T = decltype(tag);
    tiled_copy_kernel<T>
        <<<blocks, dim3(kTile, kTileRows), 0, stream>>>(static_cast<const T*>(src), static_cast<T*>(dst), p);
    KILN_CUDA_LAUNCHED();
  });
}

void launch_memcpy(const void* src, void* dst, const CopyPlan& plan, cudaStream_t stream) {
  const int64_t elem = static_cast<int64_t>(plan.element_bytes);
  KILN_CUDA(cudaMemcpyAsync(static_cast<char*>(dst) + plan.dst_offset * elem,
                            static_cast<const char*>(src) + plan.src_offset * elem,
                            static_cast<size_t>(plan.walk.dims[0] * elem), cudaMemcpyDeviceToDevice, stream));
}

}  // namespace

void copy_strided(const void* src, void* dst, size_t element_bytes, const StridedCopy& copy, cudaStream_t stream) {
  const CopyPlan plan = plan_copy(src, dst, element_bytes, copy);
  switch (plan.kind) {
    case CopyKind::Nothing: return;
    case CopyKind::Memcpy: return launch_memcpy(src, dst, plan, stream);
    case CopyKind::Tiled: return launch_tiled(src, dst, plan, stream);
    case CopyKind::Generic: break;
  }
  const int64_t src_far = furthest_offset(plan.walk.dims, plan.walk.strides[0], plan.src_offset);
  const int64_t dst_far = furthest_offset(plan.walk.dims, plan.walk.strides[1], plan.dst_offset);
  if (fits_32bit(plan.walk.count(), {src_far, dst_far})) launch_generic<uint32_t>(src, dst, plan, stream);
  else launch_generic<uint64_t>(src, dst, plan, stream);
}

void copy_image(const void* src, const ImageDims& from, void* dst, const ImageDims& to, size_t element_bytes,
                cudaStream_t stream) {
  StridedCopy copy;
  copy.dims.assign(from.dims.begin(), from.dims.end());
  copy.src_strides.assign(from.strides.begin(), from.strides.end());
  copy.dst_strides.assign(to.strides.begin(), to.strides.end());
  copy_strided(src, dst, element_bytes, copy, stream);
}

void copy_tensor(const void* src, const Tensor& from, const Tensor& to, cudaStream_t stream) {
  if (from.shape() != to.shape() || dtype_size(from.dtype()) != dtype_size(to.dtype()))
    fail_invalid("copy: tensors differ: " + dims_text(from.shape()) + " " + dtype_name(from.dtype()) + " to " +
                 dims_text(to.shape()) + " " + dtype_name(to.dtype()));
  StridedCopy copy;
  copy.dims = from.shape();
  copy.src_strides = element_strides(from);
  copy.dst_strides = element_strides(to);
  copy_strided(src, to.raw(), dtype_size(from.dtype()), copy, stream);
}

}  // namespace kiln::cuda::movement
