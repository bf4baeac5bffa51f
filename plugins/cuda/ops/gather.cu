// Gather: slices of the input along one axis, picked by an int32/int64 index tensor (negative indices count
// from the end): output = input dims before the axis, then the indices' dims, then the input dims after it.
// Indices may be a constant (uploaded at create, range-checked on the host) or a device tensor; a device index
// out of range cannot be reported from the GPU, so its output slice is zeros rather than a read out of bounds.
#include <algorithm>

#include "common/cuda_check.hpp"
#include "common/constant_inputs.hpp"
#include "common/movement_element.cuh"
#include "common/movement_index.cuh"
#include "common/movement_shape.hpp"

namespace kiln::cuda {
namespace {

using namespace movement;

// The walk over the output: per dim, strides into the data (0 on the index dims), the indices (0 off them)
// and the output.
enum Operand { kData = 0, kIndices = 1, kOutput = 2 };

template <class Index>
struct GatherParams {
  IndexSpace<Index> space;
  Index data_strides[kMaxMovementRank];
  Index index_strides[kMaxMovementRank];
  Index out_strides[kMaxMovementRank];
  Index axis_stride;    // the data's stride along the gathered axis
  int64_t axis_extent;  // indices lie in [-axis_extent, axis_extent)
  Index total;
};

template <class T, class I, class Index>
__host__ __device__ inline void gather_element(const T* data, const I* indices, T* out, const GatherParams<Index>& p,
                                               Index i) {
  Index c[kMaxMovementRank] = {};
  p.space.coords(i, c);
  int64_t k = static_cast<int64_t>(indices[dot(c, p.index_strides, p.space.rank)]);
  if (k < 0) k += p.axis_extent;
  T& y = out[dot(c, p.out_strides, p.space.rank)];
  if (k < 0 || k >= p.axis_extent) {
    y = T{};
    return;
  }
  y = data[dot(c, p.data_strides, p.space.rank) + static_cast<Index>(k) * p.axis_stride];
}

template <class T, class I, class Index>
__global__ void gather_device_kernel(const T* __restrict__ data, const I* __restrict__ indices, T* __restrict__ out,
                                     GatherParams<Index> p) {
  for (Index i = grid_start<Index>(); i < p.total; i += grid_stride<Index>()) gather_element(data, indices, out, p, i);
}

bool aligned(const void* p, size_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// When the innermost dim is contiguous in data and output and does not walk the indices (an embedding row),
// moves `factor` neighbouring elements as one word of up to 16 bytes. Returns the element size moved.
size_t widen(Walk& w, int64_t& axis_stride, size_t element_bytes, const void* data, const void* out) {
  std::vector<int64_t>& dims = w.dims;
  std::vector<int64_t>& from = w.strides[kData];
  std::vector<int64_t>& to = w.strides[kOutput];
  const size_t last = dims.size() - 1;
  if (from[last] != 1 || to[last] != 1 || w.strides[kIndices][last] != 0) return element_bytes;
  for (size_t word = 16; word > element_bytes; word /= 2) {
    const int64_t factor = static_cast<int64_t>(word / element_bytes);
    bool ok = dims[last] % factor == 0 && axis_stride % factor == 0 && aligned(data, word) && aligned(out, word);
    for (size_t d = 0; d < last && ok; ++d) ok = from[d] % factor == 0 && to[d] % factor == 0;
    if (!ok) continue;
    dims[last] /= factor;
    for (size_t d = 0; d < last; ++d) {
      from[d] /= factor;
      to[d] /= factor;
    }
    axis_stride /= factor;
    return word;
  }
  return element_bytes;
}

struct Gather {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.Gather";
    s.op_type = "Gather";
    s.device = KILN_DEVICE_CUDA;
    s.flags = KILN_KERNEL_STRIDED_OUTPUT;
    s.inputs = {io_layouts(kMovableDtypes, kAnyLayout), io(kIndexDtypes)};
    s.outputs = {io_layouts(kMovableDtypes, kAnyLayout)};
    return s;
  }

  static std::string check(const Node& node) {
    const ValueInfo x = node.input(0), indices = node.input(1);
    if (!x.has_rank || !indices.has_rank) return "";
    return rank_limit_reason(x.rank() - 1 + indices.rank());  // the output's
  }

  explicit Gather(const Node& node) : axis(node.attr_int("axis", 0)), constants(node, {0, 1}) {
    if (!constants.constant(1)) return;
    const std::vector<int64_t> values = node.input(1).int_values();
    constant_indices = true;
    if (values.empty()) return;
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    lowest = *lo;
    highest = *hi;
  }

  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0), idx = ctx.input(1);
    if (!x.has_rank || !idx.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    const int a = normalize_axis(node.attr_int("axis", 0), x.rank(), "Gather");
    std::vector<int64_t> out(x.dims.begin(), x.dims.begin() + a);
    out.insert(out.end(), idx.dims.begin(), idx.dims.end());
    out.insert(out.end(), x.dims.begin() + a + 1, x.dims.end());
    ctx.set_output(0, x.dtype, out);
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), indices = ctx.input(1), y = ctx.output(0);
    const int a = normalize_axis(axis, x.rank(), "Gather");
    const int64_t n = x.dim(a);
    if (constant_indices && (lowest < -n || highest >= n))
      fail_invalid("Gather: index " + std::to_string(lowest < -n ? lowest : highest) + " is out of range [" +
                   std::to_string(-n) + ", " + std::to_string(n) + ")");
    const std::vector<int64_t> x_dims = x.shape();
    std::vector<int64_t> expected(x_dims.begin(), x_dims.begin() + a);
    for (int64_t d : indices.shape()) expected.push_back(d);
    for (int d = a + 1; d < x.rank(); ++d) expected.push_back(x.dim(d));
    if (expected != y.shape())
      fail_invalid("Gather: output " + dims_text(y.shape()) + ", expected " + dims_text(expected));
    Walk w = walk(x, indices, y, a);
    if (y.numel() == 0) return;
    if (n == 0) fail_invalid("Gather: indices into an empty axis");
    const int64_t data_far = furthest_offset(x.shape(), element_strides(x), 0);
    const int64_t out_far = furthest_offset(y.shape(), element_strides(y), 0);
    const void* data = constants.data(ctx, 0);
    int64_t axis_stride = element_strides(x)[static_cast<size_t>(a)];
    w.simplify();
    const size_t element_bytes = widen(w, axis_stride, dtype_size(x.dtype()), data, y.raw());
    if (w.rank() > kMaxMovementRank)
      fail_unsupported("Gather: " + std::to_string(w.rank()) + " dims remain after merging, more than " +
                       std::to_string(kMaxMovementRank));
    Launch launch{data,          constants.data(ctx, 1),
                  y.raw(),       w,
                  axis_stride,   n,
                  element_bytes, static_cast<cudaStream_t>(ctx.stream())};
    const bool small = fits_32bit(y.numel(), {data_far, out_far, indices.numel()});
    dispatch<KILN_DTYPE_INT32, KILN_DTYPE_INT64>(indices.dtype(), "Gather indices", [&](auto tag) {
      using I = decltype(tag);
      if (small) launch.run<I, uint32_t>();
      else launch.run<I, uint64_t>();
    });
  }

  // The output walk before simplification: one dim per output dim.
  static Walk walk(const Tensor& x, const Tensor& indices, const Tensor& y, int a) {
    const std::vector<int64_t> x_strides = element_strides(x), index_strides = dense_strides(indices.shape());
    Walk w;
    w.strides.resize(3);
    auto add = [&](int64_t dim, int64_t data, int64_t index, int64_t out) {
      w.dims.push_back(dim);
      w.strides[kData].push_back(data);
      w.strides[kIndices].push_back(index);
      w.strides[kOutput].push_back(out);
    };
    const std::vector<int64_t> y_strides = element_strides(y);
    size_t k = 0;  // output dim
    for (int d = 0; d < a; ++d, ++k) add(x.dim(d), x_strides[static_cast<size_t>(d)], 0, y_strides.at(k));
    for (int j = 0; j < indices.rank(); ++j, ++k)
      add(indices.dim(j), 0, index_strides[static_cast<size_t>(j)], y_strides.at(k));
    for (int d = a + 1; d < x.rank(); ++d, ++k) add(x.dim(d), x_strides[static_cast<size_t>(d)], 0, y_strides.at(k));
    return w;
  }

  // One launch's arguments, for each index dtype and index width.
  struct Launch {
    const void* data;
    const void* indices;
    void* out;
    const Walk& walk;
    int64_t axis_stride, axis_extent;
    size_t element_bytes;
    cudaStream_t stream;

    template <class I, class Index>
    void run() const {
      GatherParams<Index> p;
      p.space = make_index_space<Index>(walk.dims);
      to_index_array(walk.strides[kData], p.data_strides);
      to_index_array(walk.strides[kIndices], p.index_strides);
      to_index_array(walk.strides[kOutput], p.out_strides);
      p.axis_stride = static_cast<Index>(axis_stride);
      p.axis_extent = axis_extent;
      p.total = static_cast<Index>(walk.count());
      dispatch_element_size<true>(element_bytes, "Gather", [&](auto tag) {
        using T = decltype(tag);
        gather_device_kernel<T, I, Index><<<movement_blocks(walk.count()), kMovementThreads, 0, stream>>>(
            static_cast<const T*>(data), static_cast<const I*>(indices), static_cast<T*>(out), p);
        KILN_CUDA_LAUNCHED();
      });
    }
  };

  int64_t axis;
  ConstantInputs constants;  // the data (an embedding table) and the indices, when they are initializers
  bool constant_indices = false;
  int64_t lowest = 0, highest = 0;  // the constant indices' range
};

}  // namespace

const kiln_kernel_desc* gather_kernel() { return describe<Gather>(); }

}  // namespace kiln::cuda
