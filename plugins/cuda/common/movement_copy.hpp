// Strided copies on the GPU: the one primitive behind Concat, Slice, Transpose, Expand and layout changes
// (NCHW <-> NHWC). Any kernel of the pack may use it to move a tensor between two stridings.
//
// copy_strided simplifies the walk (drops extent-1 dims, merges contiguous runs), moves contiguous runs as
// words of up to 16 bytes when sizes and alignment allow, takes a plain cudaMemcpyAsync when the whole walk is
// one contiguous run, and a shared-memory tiled transpose when the source's contiguous dim is not the
// destination's (coalesced reads and writes). Everything is enqueued on `stream`; nothing is allocated.
#ifndef KILN_CUDA_MOVEMENT_COPY_HPP
#define KILN_CUDA_MOVEMENT_COPY_HPP

#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "common/image_dims.hpp"
#include "kiln/plugin.hpp"

namespace kiln::cuda::movement {

// For every index (i_0, .., i_r) of `dims`:
//   dst[dst_offset + sum_k i_k * dst_strides[k]] = src[src_offset + sum_k i_k * src_strides[k]]
// in elements. A source stride may be 0 (repeat an element) or negative (walk backwards); destination elements
// must be distinct. Both sides must lie inside their tensors.
struct StridedCopy {
  std::vector<int64_t> dims;
  std::vector<int64_t> src_strides, dst_strides;
  int64_t src_offset = 0, dst_offset = 0;
};

// Enqueues `copy` of elements of `element_bytes` bytes (1, 2, 4 or 8). A copy onto itself (same address, same
// strides: an eliminated concat's input already in place) does nothing.
void copy_strided(const void* src, void* dst, size_t element_bytes, const StridedCopy& copy, cudaStream_t stream);

// Copies image `from` (its dims, its strides) into the image at `dst` with `to`'s strides, elements of
// `element_bytes` bytes: a layout change, or into a destination with more channels (padding left as it was).
void copy_image(const void* src, const ImageDims& from, void* dst, const ImageDims& to, size_t element_bytes,
                cudaStream_t stream);

// Copies tensor `from` into `to` (same dtype and dims) whatever the strides of each: a reformat between
// layouts. `src` is from's data on the device (from.raw(), or the device copy of a constant).
void copy_tensor(const void* src, const Tensor& from, const Tensor& to, cudaStream_t stream);

}  // namespace kiln::cuda::movement

#endif  // KILN_CUDA_MOVEMENT_COPY_HPP
