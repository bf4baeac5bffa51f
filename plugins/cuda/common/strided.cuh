// One elementwise machine for every layout: out[i] = op(in0[i], in1[i], ...) over the output's elements, each
// operand read through its own element strides (NHWC, views, broadcast operands with stride 0).
//
// The walk is planned on the host per call, as in the reference pack's broadcast planner: dims of extent 1 are
// dropped, the rest are ordered by the output's strides (outermost first; an elementwise result does not depend
// on the order) and adjacent dims that every operand steps through contiguously are merged. Tensors that share
// one dense layout and shape - NCHW or NHWC alike - thus become a single run, which a flat kernel walks with
// 16-byte loads where every pointer is aligned. Anything else runs the strided kernel, which turns each linear
// index into per-operand offsets with one division per merged dim (32-bit when every offset fits).
//
// In-place (output 0 over input 0) is safe: each element is read and then written by the same thread, and the
// launch refuses an alias whose two walks differ.
#ifndef KILN_CUDA_STRIDED_CUH
#define KILN_CUDA_STRIDED_CUH

#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "common/cuda_check.hpp"
#include "common/elementwise_types.cuh"
#include "kiln/plugin.hpp"

namespace kiln::cuda::elementwise {

// ---- host: strides and plans -------------------------------------------------------------------------------

inline std::vector<int64_t> dense_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

// A tensor's element strides over its own dims: those it carries (NHWC, a view), else dense row-major ones.
inline std::vector<int64_t> own_strides(const Tensor& t) {
  if (t.strides()) return std::vector<int64_t>(t.strides(), t.strides() + t.rank());
  return dense_strides(t.shape());
}

inline std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

// The strides with which an operand of `dims` (stored with `strides`) is read over the output's `out_dims`:
// numpy broadcasting, dims aligned at the right, stride 0 where the operand's dim is 1 or missing. Fails when
// the operand does not broadcast, so that no shape can make a kernel read past an operand.
inline std::vector<int64_t> broadcast_read_strides(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides,
                                                   const std::vector<int64_t>& out_dims, const char* op) {
  if (dims.size() > out_dims.size())
    fail_invalid(std::string(op) + ": operand " + dims_text(dims) + " has a higher rank than the output " + dims_text(out_dims));
  std::vector<int64_t> read(out_dims.size(), 0);
  for (size_t k = 0; k < dims.size(); ++k) {
    const size_t i = dims.size() - 1 - k, o = out_dims.size() - 1 - k;
    if (dims[i] == out_dims[o]) read[o] = strides[i];
    else if (dims[i] != 1)
      fail_invalid(std::string(op) + ": operand " + dims_text(dims) + " does not broadcast to the output " + dims_text(out_dims));
  }
  return read;
}

// A planned walk over N operands (the output first): merged dims, innermost first, and each operand's strides.
template <int N>
struct StridedPlan {
  int rank = 0;
  int64_t total = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[N][kMaxRank] = {};

  // Every operand is one contiguous run of `total` elements, in the same order.
  bool flat() const {
    if (rank == 0) return true;
    bool contiguous = rank == 1;
    for (int n = 0; contiguous && n < N; ++n) contiguous = strides[n][0] == 1;
    return contiguous;
  }
  // Every index and offset fits 32-bit unsigned arithmetic (with room for the grid-stride step).
  bool fits_32bit() const {
    if (total > INT32_MAX) return false;
    for (int n = 0; n < N; ++n) {
      int64_t reach = 0;
      for (int d = 0; d < rank; ++d) {
        if (strides[n][d] < 0) return false;
        reach += (dims[d] - 1) * strides[n][d];
      }
      if (reach > INT32_MAX) return false;
    }
    return true;
  }
};

template <int N>
StridedPlan<N> plan_strided(const std::vector<int64_t>& out_dims, const std::array<std::vector<int64_t>, N>& strides,
                            const char* op) {
  StridedPlan<N> plan;
  plan.total = product(out_dims);
  if (plan.total == 0) return plan;
  std::vector<size_t> order;
  for (size_t d = 0; d < out_dims.size(); ++d)
    if (out_dims[d] != 1) order.push_back(d);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::abs(strides[0][a]) > std::abs(strides[0][b]);
  });
  // Outermost first while merging: a dim joins the previous one when each operand's outer stride is its stride
  // times this extent.
  std::vector<int64_t> dims;
  std::array<std::vector<int64_t>, N> merged;
  for (size_t d : order) {
    bool merge = !dims.empty();
    for (int n = 0; merge && n < N; ++n) merge = merged[n].back() == strides[n][d] * out_dims[d];
    if (merge) {
      dims.back() *= out_dims[d];
      for (int n = 0; n < N; ++n) merged[n].back() = strides[n][d];
    } else {
      dims.push_back(out_dims[d]);
      for (int n = 0; n < N; ++n) merged[n].push_back(strides[n][d]);
    }
  }
  if (dims.size() > static_cast<size_t>(kMaxRank))
    fail_unsupported(std::string(op) + ": " + std::to_string(dims.size()) + " non-mergeable dims exceed the limit of " +
                     std::to_string(kMaxRank));
  plan.rank = static_cast<int>(dims.size());
  for (int d = 0; d < plan.rank; ++d) {
    const size_t from = dims.size() - 1 - static_cast<size_t>(d);
    plan.dims[d] = dims[from];
    for (int n = 0; n < N; ++n) plan.strides[n][d] = merged[n][from];
  }
  return plan;
}

// ---- device: the walk --------------------------------------------------------------------------------------

// The plan as a kernel parameter, in the index type the kernel computes with.
template <int N, class Index>
struct Geometry {
  int rank;
  Index dims[kMaxRank];
  Index strides[N][kMaxRank];
};

template <class Index, int N>
Geometry<N, Index> geometry_of(const StridedPlan<N>& plan) {
  Geometry<N, Index> g{};
  g.rank = plan.rank;
  for (int d = 0; d < kMaxRank; ++d) {
    g.dims[d] = static_cast<Index>(plan.dims[d]);
    for (int n = 0; n < N; ++n) g.strides[n][d] = static_cast<Index>(plan.strides[n][d]);
  }
  return g;
}

// Each operand's element offset for linear output index i (in the plan's merged order).
template <int N, class Index>
__device__ __forceinline__ void offsets_of(const Geometry<N, Index>& g, Index i, Index (&offset)[N]) {
#pragma unroll
  for (int n = 0; n < N; ++n) offset[n] = 0;
#pragma unroll
  for (int d = 0; d < kMaxRank; ++d) {
    if (d >= g.rank) break;
    Index coordinate = i;  // the outermost dim needs no division: what is left of i is its coordinate
    if (d < g.rank - 1) {
      const Index quotient = i / g.dims[d];
      coordinate = i - quotient * g.dims[d];
      i = quotient;
    }
#pragma unroll
    for (int n = 0; n < N; ++n) offset[n] += coordinate * g.strides[n][d];
  }
}

template <class Op, class Out, class Index, size_t... I, class... In>
__device__ __forceinline__ void apply_at(const Op& op, Out* out, const Index (&offset)[1 + sizeof...(In)],
                                         std::index_sequence<I...>, const In*... in) {
  out[offset[0]] = op(in[offset[I + 1]]...);
}

template <class Index, class Op, class Out, class... In>
__global__ void __launch_bounds__(kThreadsPerBlock)
    strided_kernel(Op op, Geometry<1 + sizeof...(In), Index> g, Index total, Out* out, const In*... in) {
  const Index step = static_cast<Index>(gridDim.x) * blockDim.x;
  for (Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    Index offset[1 + sizeof...(In)];
    offsets_of(g, i, offset);
    apply_at(op, out, offset, std::index_sequence_for<In...>{}, in...);
  }
}

// K elements of T loaded or stored as one aligned access (K * sizeof(T) is at most 16 bytes, a power of two).
template <class T, int K>
struct alignas(sizeof(T) * K) Pack {
  T v[K];
};

// The operands arrive by value: all K elements are read before any is written (in-place safe).
template <int K, class Op, class Out, class... In>
__device__ __forceinline__ void apply_pack(const Op& op, Pack<Out, K>* out, const Pack<In, K>... in) {
  Pack<Out, K> result;
#pragma unroll
  for (int k = 0; k < K; ++k) result.v[k] = op(in.v[k]...);
  *out = result;
}

// Contiguous operands: `packs` aligned packs of K elements, then the tail (all of it when packs is 0).
template <int K, class Op, class Out, class... In>
__global__ void __launch_bounds__(kThreadsPerBlock)
    flat_kernel(Op op, int64_t total, int64_t packs, Out* out, const In*... in) {
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t p = first; p < packs; p += step)
    apply_pack<K>(op, reinterpret_cast<Pack<Out, K>*>(out) + p, reinterpret_cast<const Pack<In, K>*>(in)[p]...);
  for (int64_t i = packs * K + first; i < total; i += step) out[i] = op(in[i]...);
}

// ---- host: launching ---------------------------------------------------------------------------------------

// A device pointer and the strides with which it is walked over the output's dims.
template <class T>
struct Operand {
  T* data;
  std::vector<int64_t> strides;
};

template <class T>
Operand<T> output_operand(const Tensor& t) {
  return {t.data<T>(), own_strides(t)};
}

// Tensor `t` read over `out_dims`, broadcasting as numpy does.
template <class T>
Operand<const T> input_operand(const Tensor& t, const std::vector<int64_t>& out_dims, const char* op) {
  return {t.data<const T>(), broadcast_read_strides(t.shape(), own_strides(t), out_dims, op)};
}

template <class T>
bool aligned_to(const T* p, size_t bytes) {
  return reinterpret_cast<uintptr_t>(p) % bytes == 0;
}

// out = op(in...) over `out_dims`, on `stream`. Op is a device functor taking the inputs' element types and
// returning the output's.
template <class Op, class Out, class... In>
void launch_elementwise(const char* name, const Op& op, const std::vector<int64_t>& out_dims, const Operand<Out>& out,
                        cudaStream_t stream, const Operand<const In>&... in) {
  constexpr int N = 1 + static_cast<int>(sizeof...(In));
  const StridedPlan<N> plan = plan_strided<N>(out_dims, {out.strides, in.strides...}, name);
  if (plan.total == 0) return;
  // Writing over an input is only safe when both are walked alike.
  const void* inputs[] = {static_cast<const void*>(in.data)...};
  for (int k = 0; k + 1 < N; ++k) {
    if (inputs[k] != static_cast<const void*>(out.data)) continue;
    for (int d = 0; d < plan.rank; ++d)
      if (plan.strides[k + 1][d] != plan.strides[0][d])
        fail_invalid(std::string(name) + ": the output shares memory with input " + std::to_string(k) +
                     " but is laid out differently");
  }
  if (plan.flat()) {
    constexpr size_t largest = std::max({sizeof(Out), sizeof(In)...});
    constexpr int K = largest >= 16 ? 1 : static_cast<int>(16 / largest);
    const bool aligned = aligned_to(out.data, sizeof(Out) * K) && (aligned_to(in.data, sizeof(In) * K) && ...);
    const int64_t packs = aligned ? plan.total / K : 0;
    flat_kernel<K><<<blocks_for(packs ? packs : plan.total), kThreadsPerBlock, 0, stream>>>(op, plan.total, packs,
                                                                                             out.data, in.data...);
  } else if (plan.fits_32bit()) {
    strided_kernel<uint32_t><<<blocks_for(plan.total), kThreadsPerBlock, 0, stream>>>(
        op, geometry_of<uint32_t>(plan), static_cast<uint32_t>(plan.total), out.data, in.data...);
  } else {
    strided_kernel<int64_t><<<blocks_for(plan.total), kThreadsPerBlock, 0, stream>>>(
        op, geometry_of<int64_t>(plan), plan.total, out.data, in.data...);
  }
  KILN_CUDA_LAUNCHED();
}

}  // namespace kiln::cuda::elementwise

#endif  // KILN_CUDA_STRIDED_CUH
