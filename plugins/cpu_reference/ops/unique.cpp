// Unique: the distinct elements (or, with axis, the distinct slices along axis) of X, sorted ascending (numpy
// order, slices compared lexicographically) or in order of first occurrence; with the index of each one's first
// occurrence, the index in Y of every input element/slice, and the counts. Output sizes depend on the data.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "common/element_value.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

// X seen as [outer, length, inner]: slice k is the outer * inner elements at (o, k, i).
struct SliceView {
  int64_t outer = 1, length = 0, inner = 1;
};

struct Groups {
  std::vector<int64_t> first;    // per unique slice, in output order: its first index in X
  std::vector<int64_t> inverse;  // per slice of X: its unique slice's position in the output
  std::vector<int64_t> counts;   // per unique slice
};

template <class T>
int compare_slices(const T* x, const SliceView& v, int64_t a, int64_t b) {
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      const int c = compare_values(x[(o * v.length + a) * v.inner + i], x[(o * v.length + b) * v.inner + i]);
      if (c != 0) return c;
    }
  return 0;
}

Groups group_slices(const void* data, kiln_dtype dtype, const SliceView& v, bool sorted) {
  std::vector<int64_t> order(static_cast<size_t>(v.length));
  std::iota(order.begin(), order.end(), 0);
  std::vector<int64_t> group_of(order.size());  // per slice: its group, numbered in sorted order
  std::vector<int64_t> group_first;
  dispatch_every_dtype(dtype, "Unique", [&](auto tag) {
    using T = decltype(tag);
    const T* x = static_cast<const T*>(data);
    // Stable: equal slices stay in index order, so each group starts with its first occurrence.
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return compare_slices(x, v, a, b) < 0; });
    for (size_t k = 0; k < order.size(); ++k) {
      if (k == 0 || compare_slices(x, v, order[k - 1], order[k]) != 0) group_first.push_back(order[k]);
      group_of[static_cast<size_t>(order[k])] = static_cast<int64_t>(group_first.size()) - 1;
    }
  });
  // Output position of each group: sorted order, or order of first occurrence.
  std::vector<int64_t> position(group_first.size());
  std::iota(position.begin(), position.end(), 0);
  if (!sorted) {
    std::vector<int64_t> by_first(group_first.size());
    std::iota(by_first.begin(), by_first.end(), 0);
    std::sort(by_first.begin(), by_first.end(), [&](int64_t a, int64_t b) { return group_first[a] < group_first[b]; });
    for (size_t p = 0; p < by_first.size(); ++p) position[static_cast<size_t>(by_first[p])] = static_cast<int64_t>(p);
  }
  Groups g;
  g.first.resize(group_first.size());
  g.counts.assign(group_first.size(), 0);
  for (size_t q = 0; q < group_first.size(); ++q) g.first[static_cast<size_t>(position[q])] = group_first[q];
  for (int64_t group : group_of) {
    g.inverse.push_back(position[static_cast<size_t>(group)]);
    ++g.counts[static_cast<size_t>(position[static_cast<size_t>(group)])];
  }
  return g;
}

struct Unique {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Unique";
    s.op_type = "Unique";
    s.opset_min = 11;
    const kiln_io_spec index = io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL);
    s.inputs = {io(kEveryDtype)};
    s.outputs = {io(kEveryDtype), index, index, index};
    return s;
  }
  explicit Unique(const Node& node)
      : has_axis(node.has("axis")), axis(node.attr_int("axis", 0)), sorted(node.attr_int("sorted", 1) != 0) {}

  SliceView view(const std::vector<int64_t>& dims) const {
    if (!has_axis) return {1, product(dims), 1};
    const size_t a = static_cast<size_t>(normalize_axis(axis, static_cast<int>(dims.size()), "Unique"));
    return {span_size(dims, 0, a), dims[a], span_size(dims, a + 1, dims.size())};
  }
  // Y's shape with `unique` slices.
  std::vector<int64_t> y_shape(const std::vector<int64_t>& dims, int64_t unique) const {
    if (!has_axis) return {unique};
    std::vector<int64_t> out = dims;
    out[static_cast<size_t>(normalize_axis(axis, static_cast<int>(dims.size()), "Unique"))] = unique;
    return out;
  }
  static void infer(const Node& node, InferContext& ctx) {
    const Unique u(node);
    const ValueInfo x = ctx.input(0);
    if (!x.shape_known()) {
      if (x.has_rank) ctx.set_output(0, x.dtype, u.y_shape(x.dims, -1));
      else if (u.has_axis) ctx.set_output_unknown_rank(0, x.dtype);
      else ctx.set_output(0, x.dtype, {-1});
      for (int i = 1; i < node.num_outputs(); ++i) ctx.set_output(i, KILN_DTYPE_INT64, {-1});
      return;
    }
    const SliceView v = u.view(x.dims);
    int64_t unique = -1;
    if (x.data || x.numel() == 0) unique = static_cast<int64_t>(group_slices(x.data, x.dtype, v, u.sorted).first.size());
    ctx.set_output(0, x.dtype, u.y_shape(x.dims, unique));
    const int64_t lengths[] = {unique, v.length, unique};  // indices, inverse_indices, counts
    for (int i = 1; i < node.num_outputs() && i < 4; ++i) ctx.set_output(i, KILN_DTYPE_INT64, {lengths[i - 1]});
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0);
    const SliceView v = view(x.shape());
    const Groups g = group_slices(x.raw(), x.dtype(), v, sorted);
    const Tensor y = ctx.output(0);
    if (y.present() && y.numel() > 0) {
      const int64_t row = v.inner * static_cast<int64_t>(dtype_size(x.dtype()));
      const int64_t unique = static_cast<int64_t>(g.first.size());
      const auto* in = static_cast<const uint8_t*>(x.raw());
      auto* out = static_cast<uint8_t*>(y.raw());
      for (int64_t o = 0; o < v.outer; ++o)
        for (int64_t k = 0; k < unique; ++k)
          std::memcpy(out + (o * unique + k) * row, in + (o * v.length + g.first[static_cast<size_t>(k)]) * row,
                      static_cast<size_t>(row));
    }
    const std::vector<int64_t>* extras[] = {&g.first, &g.inverse, &g.counts};
    for (int i = 1; i < 4 && i < ctx.num_outputs(); ++i) {
      const Tensor t = ctx.output(i);
      if (t.present() && !extras[i - 1]->empty())
        std::memcpy(t.raw(), extras[i - 1]->data(), extras[i - 1]->size() * sizeof(int64_t));
    }
  }
  bool has_axis;
  int64_t axis;
  bool sorted;
};

}  // namespace

const kiln_kernel_desc* unique_kernel() { return describe<Unique>(); }

}  // namespace kiln::cpu_ref
