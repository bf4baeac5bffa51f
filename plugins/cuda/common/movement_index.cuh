// Index arithmetic for the data-movement kernels (concat, slice, transpose, gather, expand, pad, resize):
// turning a flat output index into coordinates and element offsets of strided tensors.
//
// Every kernel runs a grid-stride loop over the output's elements in one of two index types: uint32_t when the
// element count and every element offset a kernel can form stay below 2^31 (then division by a dim is
// a multiply and a shift, FastDivmod32), else uint64_t. Offsets are computed in that unsigned type with
// wrap-around: a negative stride (a slice with a negative step) is stored as its two's complement, and since the
// true offset of every element that exists is in [0, 2^31) (or [0, 2^63)), the sum modulo 2^32 (2^64) is exact.
#ifndef KILN_CUDA_MOVEMENT_INDEX_CUH
#define KILN_CUDA_MOVEMENT_INDEX_CUH

#include <cuda_runtime.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

// `#pragma unroll` for loops in __host__ __device__ functions (the host compiler does not know the pragma).
#ifdef __CUDA_ARCH__
#define KILN_MOVEMENT_UNROLL _Pragma("unroll")
#else
#define KILN_MOVEMENT_UNROLL
#endif

namespace kiln::cuda::movement {

// The most dims a movement kernel walks, after dims of extent 1 are dropped and contiguous runs merged.
constexpr int kMaxMovementRank = 8;

// Why a value of `rank` dims is declined, or "" when it fits (-1, an unknown rank, is checked at run time).
inline std::string rank_limit_reason(int rank) {
  if (rank <= kMaxMovementRank) return "";
  return "rank " + std::to_string(rank) + " is above the " + std::to_string(kMaxMovementRank) + " supported";
}

// n / d and n % d for a fixed 32-bit divisor d in [1, 2^31] and n < 2^31, with one multiply-high, an add and a
// shift (Granlund & Montgomery, "Division by invariant integers using multiplication"): shift = ceil(log2 d),
// multiplier = floor(2^32 * (2^shift - d) / d) + 1, and n / d = (mulhi(n, multiplier) + n) >> shift.
class FastDivmod32 {
 public:
  FastDivmod32() = default;
  explicit FastDivmod32(uint32_t divisor) : divisor_(divisor ? divisor : 1) {  // 0 only for an empty space
    while ((uint64_t{1} << shift_) < divisor_) ++shift_;
    const uint64_t one = 1;
    multiplier_ = static_cast<uint32_t>(((one << 32) * ((one << shift_) - divisor_)) / divisor_ + 1);
  }
  __host__ __device__ uint32_t divisor() const { return divisor_; }
  __host__ __device__ void divmod(uint32_t n, uint32_t& quotient, uint32_t& remainder) const {
#ifdef __CUDA_ARCH__
    const uint32_t high = __umulhi(n, multiplier_);
#else
    const uint32_t high = static_cast<uint32_t>((static_cast<uint64_t>(n) * multiplier_) >> 32);
#endif
    quotient = (high + n) >> shift_;
    remainder = n - quotient * divisor_;
  }

 private:
  uint32_t divisor_ = 1;
  uint32_t multiplier_ = 1;
  uint32_t shift_ = 0;
};

// Division by a dim in the kernel's index type.
template <class Index>
class Divisor;

template <>
class Divisor<uint32_t> {
 public:
  Divisor() = default;
  explicit Divisor(int64_t d) : fast_(static_cast<uint32_t>(d)) {}
  __host__ __device__ void divmod(uint32_t n, uint32_t& q, uint32_t& r) const { fast_.divmod(n, q, r); }

 private:
  FastDivmod32 fast_;
};

template <>
class Divisor<uint64_t> {
 public:
  Divisor() = default;
  explicit Divisor(int64_t d) : d_(static_cast<uint64_t>(d)) {}
  __host__ __device__ void divmod(uint64_t n, uint64_t& q, uint64_t& r) const {
    q = n / d_;
    r = n - q * d_;
  }

 private:
  uint64_t d_ = 1;
};

// The dims of a row-major index space, for turning a flat index into coordinates. Passed to kernels by value.
template <class Index>
struct IndexSpace {
  int rank = 0;  // 0: a single element
  Divisor<Index> dims[kMaxMovementRank];

  // coords[0..rank) of flat index i; coords past rank are left alone. Unrolled over the fixed maximum so that
  // every array index is a constant (a runtime index into kernel parameters would spill them to local memory).
  __host__ __device__ void coords(Index i, Index (&c)[kMaxMovementRank]) const {
    KILN_MOVEMENT_UNROLL
    for (int d = kMaxMovementRank - 1; d >= 1; --d) {
      if (d < rank) {
        Index q;
        dims[d].divmod(i, q, c[d]);
        i = q;
      }
    }
    c[0] = i;  // the outermost dim needs no division
  }
};

// sum(c[d] * strides[d]) over the first `rank` dims, in wrap-around arithmetic.
template <class Index>
__host__ __device__ inline Index dot(const Index (&c)[kMaxMovementRank], const Index (&strides)[kMaxMovementRank],
                                     int rank) {
  Index sum = 0;
  KILN_MOVEMENT_UNROLL
  for (int d = 0; d < kMaxMovementRank; ++d)
    if (d < rank) sum += c[d] * strides[d];
  return sum;
}

template <class Index>
IndexSpace<Index> make_index_space(const std::vector<int64_t>& dims) {
  IndexSpace<Index> space;
  space.rank = static_cast<int>(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) space.dims[d] = Divisor<Index>(dims[d]);
  return space;
}

// Copies `values` (one per dim, at most kMaxMovementRank) into a kernel parameter array of the index type;
// negative values become their two's complement.
template <class Index>
void to_index_array(const std::vector<int64_t>& values, Index (&out)[kMaxMovementRank]) {
  for (int d = 0; d < kMaxMovementRank; ++d)
    out[d] = d < static_cast<int>(values.size()) ? static_cast<Index>(values[static_cast<size_t>(d)]) : Index{0};
}

// The largest element offset a strided walk over `dims` reaches from `offset` (the smallest is >= 0 for any
// view that lies inside its tensor).
inline int64_t furthest_offset(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides, int64_t offset) {
  int64_t far = offset;
  for (size_t d = 0; d < dims.size(); ++d)
    if (strides[d] > 0 && dims[d] > 0) far += (dims[d] - 1) * strides[d];
  return far;
}

// Whether 32-bit indices suffice: the element count and every offset bound are below 2^31.
inline bool fits_32bit(int64_t total, std::initializer_list<int64_t> offset_bounds) {
  constexpr int64_t kLimit = int64_t{1} << 31;
  if (total >= kLimit) return false;
  for (int64_t bound : offset_bounds)
    if (bound < 0 || bound >= kLimit) return false;
  return true;
}

// Launch shape of a grid-stride loop over `total` elements: enough blocks to fill the GPU several times over,
// never more than the loop needs; each thread then strides by the grid.
constexpr int kMovementThreads = 256;
inline unsigned movement_blocks(int64_t total) {
  constexpr int64_t kMaxBlocks = 65536;
  const int64_t blocks = (total + kMovementThreads - 1) / kMovementThreads;
  return static_cast<unsigned>(blocks < 1 ? 1 : blocks > kMaxBlocks ? kMaxBlocks : blocks);
}

// The flat index of this thread's first element and the grid's stride, in the index type.
template <class Index>
__device__ inline Index grid_start() {
  return static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
}
template <class Index>
__device__ inline Index grid_stride() {
  return static_cast<Index>(gridDim.x) * blockDim.x;
}

}  // namespace kiln::cuda::movement

#endif  // KILN_CUDA_MOVEMENT_INDEX_CUH
