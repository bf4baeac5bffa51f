// Concat: inputs laid end to end along one axis, each a strided copy into its slice of the output. Declared
// KILN_KERNEL_CONCAT, so when the inputs' producers can write through strides the builder has them write
// straight into their slices and this node does nothing at run time; when it does run, any input already in
// place is skipped (a copy onto itself). Int8/uint8 values move like any bytes, but only between values on one
// integer grid: every quantized input must carry the output's quantization parameters (see check).
#include "common/constant_inputs.hpp"
#include "common/movement_copy.hpp"
#include "common/movement_index.cuh"
#include "common/movement_shape.hpp"
#include "common/quant_params.hpp"

namespace kiln::cuda {
namespace {

using namespace movement;

// The dims of `t` in memory order when it is dense in its layout (row-major, or NHWC's N,H,W,C), with `axis`
// mapped to its place in that order; false for a strided view.
bool memory_order(const Tensor& t, int axis, std::vector<int64_t>* dims, int* memory_axis) {
  const std::vector<int64_t> shape = t.shape();
  if (!t.strides()) {
    *dims = shape;
    *memory_axis = axis;
    return true;
  }
  if (t.layout() != KILN_LAYOUT_NHWC || t.rank() != 4) return false;
  const int64_t n = shape[0], c = shape[1], h = shape[2], w = shape[3];
  const int64_t nhwc[4] = {h * w * c, 1, w * c, c};
  for (int d = 0; d < 4; ++d)
    if (t.strides()[d] != nhwc[d] && shape[static_cast<size_t>(d)] != 1) return false;
  *dims = {n, h, w, c};
  static const int kMemoryAxis[4] = {0, 3, 1, 2};
  *memory_axis = kMemoryAxis[axis];
  return true;
}

int64_t product_from(const std::vector<int64_t>& dims, int first) {
  int64_t p = 1;
  for (size_t d = static_cast<size_t>(first); d < dims.size(); ++d) p *= dims[d];
  return p;
}

// Rows of 16-byte words: row r of the source (src_pitch words apart) goes to row r of the destination.
__global__ void copy_rows(const uint4* src, uint4* dst, int64_t row_words, int64_t src_pitch, int64_t dst_pitch,
                          int64_t total) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < total;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = t / row_words, word = t - row * row_words;
    dst[row * dst_pitch + word] = src[row * src_pitch + word];
  }
}

bool aligned16(const void* p, int64_t bytes) { return reinterpret_cast<uintptr_t>(p) % 16 == 0 && bytes % 16 == 0; }

struct Concat {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cuda.Concat";
    s.op_type = "Concat";
    s.opset_min = 4;
    s.device = KILN_DEVICE_CUDA;
    // QUANT_PASSTHROUGH: bytes moved are exact on integers that share one grid (check declines any other).
    s.flags = KILN_KERNEL_CONCAT | KILN_KERNEL_QUANT_PASSTHROUGH;
    // Channels-last along C is whole rows per pixel (copy_as_rows); it also keeps an inception block's output in
    // the layout its convolutions write, instead of transposing it in the copy.
    s.inputs = {io_layouts(kMovableDtypes, kAnyLayout, KILN_IO_VARIADIC | KILN_IO_PREFERS_NHWC)};
    s.outputs = {io_layouts(kMovableDtypes, kAnyLayout, KILN_IO_PREFERS_NHWC)};
    return s;
  }

  static std::string check(const Node& node) {
    for (int i = 0; i < node.num_inputs(); ++i) {
      const std::string why = rank_limit_reason(node.input(i).rank());
      if (!why.empty()) return why;
      // The bytes are moved as they are: every input must already have the output's type.
      if (node.input(i).dtype != node.input(0).dtype)
        return "input " + std::to_string(i) + " is " + dtype_name(node.input(i).dtype) + ", input 0 " +
               dtype_name(node.input(0).dtype);
      // Not requantized here instead: the builder may elide this node (KILN_KERNEL_CONCAT) and have the producers
      // write into the output directly.
      if (const std::string q = one_grid_reason(node, i, "concatenated"); !q.empty()) return q;
    }
    return "";
  }

  explicit Concat(const Node& node) : axis(node.attr_int("axis")), constants(node) {}

  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo first = ctx.input(0);
    if (!first.has_rank) return ctx.set_output_unknown_rank(0, first.dtype);
    const int a = normalize_axis(node.attr_int("axis"), first.rank(), "Concat");
    std::vector<int64_t> out = first.dims;
    for (int i = 1; i < ctx.num_inputs(); ++i) {
      const ValueInfo v = ctx.input(i);
      if (!v.has_rank) return ctx.set_output_unknown_rank(0, first.dtype);
      if (v.rank() != first.rank()) fail_invalid("Concat: inputs have different ranks");
      for (int d = 0; d < first.rank(); ++d) {
        if (d == a) out[d] = (out[d] < 0 || v.dims[d] < 0) ? -1 : out[d] + v.dims[d];
        else if (out[d] < 0) out[d] = v.dims[d];
        else if (v.dims[d] >= 0 && v.dims[d] != out[d])
          fail_invalid("Concat: input " + std::to_string(i) + " has dim " + std::to_string(d) + " of " +
                       std::to_string(v.dims[d]) + ", expected " + std::to_string(out[d]));
      }
    }
    ctx.set_output(0, first.dtype, out);
  }

  void execute(ExecContext& ctx) {
    const Tensor y = ctx.output(0);
    const int a = normalize_axis(axis, y.rank(), "Concat");
    check_shapes(ctx, y, a);  // before anything is written: a wrong shape would write out of bounds
    if (copy_as_rows(ctx, y, a)) return;
    const std::vector<int64_t> y_strides = element_strides(y);
    const auto stream = static_cast<cudaStream_t>(ctx.stream());
    int64_t along = 0;  // where the next input starts on the axis
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor x = ctx.input(i);
      StridedCopy copy;
      copy.dims = x.shape();
      copy.src_strides = element_strides(x);
      copy.dst_strides = y_strides;
      copy.dst_offset = along * y_strides[static_cast<size_t>(a)];
      if (x.numel() > 0) copy_strided(constants.data(ctx, i), y.raw(), dtype_size(y.dtype()), copy, stream);
      along += x.dim(a);
    }
  }

  // The common case (inception blocks): every tensor dense in one layout, so each input is `outer` rows that go
  // to the same rows of the output at a byte offset. One pass of 16-byte words per input, at memory bandwidth;
  // false (nothing done) when a tensor is a view or a row is not a multiple of 16 bytes.
  bool copy_as_rows(const ExecContext& ctx, const Tensor& y, int a) const {
    std::vector<int64_t> y_dims;
    int m = 0;
    if (!memory_order(y, a, &y_dims, &m)) return false;
    if (y.numel() == 0) return true;  // nothing to move
    const int64_t element = static_cast<int64_t>(dtype_size(y.dtype()));
    const int64_t outer = y_dims.empty() ? 1 : y.numel() / product_from(y_dims, m);
    const int64_t dst_pitch = product_from(y_dims, m) * element;
    struct Part { const void* src; int64_t offset, row_bytes; };
    std::vector<Part> parts;
    int64_t offset = 0;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor x = ctx.input(i);
      std::vector<int64_t> x_dims;
      int xm = 0;
      if (x.layout() != y.layout() || !memory_order(x, a, &x_dims, &xm) || xm != m) return false;
      const int64_t row_bytes = product_from(x_dims, m) * element;
      const void* src = constants.data(ctx, i);
      if (row_bytes && (!aligned16(src, row_bytes) || !aligned16(static_cast<const char*>(y.raw()) + offset, dst_pitch)))
        return false;
      parts.push_back({src, offset, row_bytes});
      offset += row_bytes;
    }
    const auto stream = static_cast<cudaStream_t>(ctx.stream());
    for (const Part& p : parts) {
      if (p.row_bytes == 0 || p.src == static_cast<const char*>(y.raw()) + p.offset) continue;  // empty, or in place
      const int64_t row_words = p.row_bytes / 16, total = row_words * outer;
      const int64_t blocks = std::min<int64_t>((total + 255) / 256, 65535 * 8);
      copy_rows<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(
          static_cast<const uint4*>(p.src), reinterpret_cast<uint4*>(static_cast<char*>(y.raw()) + p.offset), row_words,
          row_words, dst_pitch / 16, total);
      KILN_CUDA_LAUNCHED();
    }
    return true;
  }

  // Every input has the output's rank, element size and dims off the axis; together they span the axis.
  static void check_shapes(const ExecContext& ctx, const Tensor& y, int a) {
    int64_t along = 0;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor x = ctx.input(i);
      bool fits = x.rank() == y.rank() && dtype_size(x.dtype()) == dtype_size(y.dtype());
      for (int d = 0; d < x.rank() && fits; ++d) fits = d == a || x.dim(d) == y.dim(d);
      if (!fits)
        fail_invalid("Concat: input " + std::to_string(i) + " (" + dims_text(x.shape()) + " " + dtype_name(x.dtype()) +
                     ") does not fit the output (" + dims_text(y.shape()) + " " + dtype_name(y.dtype()) + ")");
      along += x.dim(a);
    }
    if (along != y.dim(a))
      fail_invalid("Concat: the inputs span " + std::to_string(along) + " along axis " + std::to_string(a) +
                   ", the output " + std::to_string(y.dim(a)));
  }

  int64_t axis;
  ConstantInputs constants;
};

}  // namespace

const kiln_kernel_desc* concat_kernel() { return describe<Concat>(); }

}  // namespace kiln::cuda
