// Host-side shape helpers of the data-movement kernels: axes, strides, the walk a kernel reduces its work to,
// and reading the int arguments (shapes, axes, pads) that inference and create need.
#ifndef KILN_CUDA_MOVEMENT_SHAPE_HPP
#define KILN_CUDA_MOVEMENT_SHAPE_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/plugin.hpp"

namespace kiln::cuda::movement {

// Every dtype a movement kernel can carry: all of 1, 2, 4 or 8 bytes (bytes move, values are never looked at).
constexpr uint64_t kMovableDtypes = KILN_DTYPES_ALL | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16);
constexpr uint64_t kIndexDtypes = KILN_DTYPE_BIT(KILN_DTYPE_INT32) | KILN_DTYPE_BIT(KILN_DTYPE_INT64);
// Positions that take any strides: dense row-major, channels-last, or a view into a larger tensor.
constexpr uint32_t kAnyLayout = KILN_LAYOUT_BIT(KILN_LAYOUT_LINEAR) | KILN_LAYOUT_BIT(KILN_LAYOUT_NHWC);

// Maps a possibly negative axis into [0, rank); fails naming the op when out of range.
inline int normalize_axis(int64_t axis, int rank, const char* op) {
  if (axis < -rank || axis >= rank)
    fail_invalid(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for rank " +
                 std::to_string(rank));
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

// Row-major element strides of `dims`.
inline std::vector<int64_t> dense_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

// A tensor's element strides: its own (channels-last, a view) or, when it has none, the dense ones.
inline std::vector<int64_t> element_strides(const Tensor& t) {
  if (t.dense()) return dense_strides(t.shape());
  return std::vector<int64_t>(t.strides(), t.strides() + t.rank());
}

inline std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

// A walk over `dims` made by several operands at once, each with its own element strides ([operand][dim]).
// simplify() keeps the elements each operand visits, in the same order, but makes the walk cheaper: dims of
// extent 1 go, and a dim merges into the one outside it wherever every operand steps through the pair as one
// run (outer stride == inner stride * inner extent). Dense copies become one flat row; NCHW -> NHWC becomes
// [N, C, H*W].
struct Walk {
  std::vector<int64_t> dims;
  std::vector<std::vector<int64_t>> strides;

  int64_t count() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
  }
  int rank() const { return static_cast<int>(dims.size()); }

  void simplify() {
    Walk out;
    out.strides.resize(strides.size());
    for (size_t k = 0; k < dims.size(); ++k) {
      if (dims[k] == 1) continue;
      if (!out.dims.empty() && merges_into(out, k)) {
        out.dims.back() *= dims[k];
        for (size_t op = 0; op < strides.size(); ++op) out.strides[op].back() = strides[op][k];
        continue;
      }
      out.dims.push_back(dims[k]);
      for (size_t op = 0; op < strides.size(); ++op) out.strides[op].push_back(strides[op][k]);
    }
    if (out.dims.empty()) {  // a single element
      out.dims.push_back(1);
      for (auto& s : out.strides) s.push_back(1);
    }
    *this = std::move(out);
  }

 private:
  bool merges_into(const Walk& out, size_t k) const {
    for (size_t op = 0; op < strides.size(); ++op)
      if (out.strides[op].back() != strides[op][k] * dims[k]) return false;
    return true;
  }
};

// Whether an input position holds data known at build time, or is empty (an empty tensor has no data pointer
// but nothing to read either). Absent positions count as known.
inline bool known_or_absent(const Node& node, int i) {
  if (!node.has_input(i)) return true;
  const ValueInfo v = node.input(i);
  return v.data != nullptr || (v.shape_known() && v.numel() == 0);
}

// An int input's values when it is present and known (a constant, or host data at run time).
inline bool known_ints(const InferContext& ctx, int index, std::vector<int64_t>& out) {
  if (!ctx.has_input(index)) return false;
  const ValueInfo v = ctx.input(index);
  if (!v.shape_known()) return false;
  if (v.numel() == 0) {
    out.clear();
    return true;
  }
  if (!v.data) return false;
  out = v.int_values();
  return true;
}

// A constant int input's values at create (empty when absent or empty).
inline std::vector<int64_t> constant_ints(const Node& node, int index) {
  if (!node.has_input(index)) return {};
  const ValueInfo v = node.input(index);
  if (v.shape_known() && v.numel() == 0) return {};
  return v.int_values();  // fails naming the value when it is not constant
}

}  // namespace kiln::cuda::movement

#endif  // KILN_CUDA_MOVEMENT_SHAPE_HPP
