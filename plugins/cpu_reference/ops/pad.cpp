// Pad: constant, reflect, edge and wrap modes; pads as an attribute (before opset 11) or input, optional
// constant value and axes (opset 18) inputs; negative pads crop.
#include <algorithm>
#include <cstring>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

constexpr uint64_t kAnyType = AllTypes::mask | KILN_DTYPE_BIT(KILN_DTYPE_BFLOAT16);

// Maps an output coordinate `i` (already shifted by the begin pad) into [0, n), or -1 for the constant.
// Negative pads crop first: edge, wrap and reflect then work within what is kept, [lo, hi).
int64_t source_index(int64_t i, int64_t n, int64_t begin, int64_t end, const std::string& mode) {
  const int64_t lo = std::max<int64_t>(0, -begin), hi = n - std::max<int64_t>(0, -end), m = hi - lo;
  if (i >= lo && i < hi) return i;
  if (mode == "constant" || m <= 0) return -1;
  const int64_t j = i - lo;  // relative to the kept range
  if (mode == "edge") return lo + (j < 0 ? 0 : m - 1);
  if (mode == "wrap") return lo + ((j % m) + m) % m;
  if (m == 1) return lo;  // reflect of a single element
  const int64_t period = 2 * (m - 1);
  const int64_t r = ((j % period) + period) % period;
  return lo + (r < m ? r : period - r);
}

struct Pad {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Pad";
    s.op_type = "Pad";
    s.opset_min = 2;
    const uint64_t ints = KILN_DTYPE_BIT(KILN_DTYPE_INT64) | KILN_DTYPE_BIT(KILN_DTYPE_INT32);
    s.inputs = {io(kAnyType), io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL), io(kAnyType, KILN_IO_OPTIONAL),
                io(ints, KILN_IO_OPTIONAL)};
    s.outputs = {io(kAnyType)};
    return s;
  }
  explicit Pad(const Node& node)
      : opset(node.opset()), mode(node.attr_string("mode", "constant")), attr_pads(node.opset() < 11 ? node.attr_ints("pads") : std::vector<int64_t>{}),
        attr_value(node.attr_float("value", 0.0f)) {
    if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") fail_invalid("Pad: unknown mode '" + mode + "'");
  }
  // Begin/end pads for every dim of a rank-`rank` input, or false when the pads input is not known yet.
  template <class Get>
  bool full_pads(int rank, Get&& get_ints, std::vector<int64_t>& out) const {
    std::vector<int64_t> pads = attr_pads, axes;
    if (opset >= 11 && !get_ints(1, pads)) return false;
    if (opset >= 18 && !get_ints(3, axes)) return false;
    if (axes.empty())
      for (int i = 0; i < rank; ++i) axes.push_back(i);
    if (pads.size() != 2 * axes.size()) fail_invalid("Pad: " + std::to_string(pads.size()) + " pads for " + std::to_string(axes.size()) + " axes");
    out.assign(2 * static_cast<size_t>(rank), 0);
    for (size_t k = 0; k < axes.size(); ++k) {
      const int a = normalize_axis(axes[k], rank, "Pad");
      out[a] = pads[k];
      out[a + rank] = pads[k + axes.size()];
    }
    return true;
  }
  static std::vector<int64_t> padded(const std::vector<int64_t>& dims, const std::vector<int64_t>& pads) {
    std::vector<int64_t> out(dims.size());
    for (size_t i = 0; i < dims.size(); ++i) {
      out[i] = dims[i] < 0 ? -1 : dims[i] + pads[i] + pads[i + dims.size()];
      if (dims[i] >= 0 && out[i] < 0) fail_invalid("Pad: negative pads crop more than the dim holds");
    }
    return out;
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    std::vector<int64_t> pads;
    auto get = [&](int i, std::vector<int64_t>& v) { return !ctx.has_input(i) || known_ints(ctx, i, v); };
    if (!Pad(node).full_pads(x.rank(), get, pads)) return ctx.set_output(0, x.dtype, std::vector<int64_t>(x.dims.size(), -1));
    ctx.set_output(0, x.dtype, padded(x.dims, pads));
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    std::vector<int64_t> pads;
    full_pads(x.rank(), [&](int i, std::vector<int64_t>& v) { if (ctx.has_input(i)) v = ctx.input(i).int_values(); return true; }, pads);
    const size_t elem = dtype_size(x.dtype());
    // The constant, as bytes of the input's type.
    std::vector<uint8_t> fill(elem, 0);
    if (opset >= 11 && ctx.has_input(2) && ctx.input(2).numel() > 0) std::memcpy(fill.data(), ctx.input(2).raw(), elem);
    else if (opset < 11) AllTypes::dispatch(x.dtype(), "Pad", [&](auto tag) {
      using T = decltype(tag);
      const T v = static_cast<T>(static_cast<compute_type_t<T>>(attr_value));
      std::memcpy(fill.data(), &v, elem);
    });
    const std::vector<int64_t> in = x.shape(), out = y.shape(), strides = dense_strides(in);
    const int rank = x.rank();
    std::vector<int64_t> counter(static_cast<size_t>(rank), 0);
    auto* dst = static_cast<uint8_t*>(y.raw());
    const auto* src = static_cast<const uint8_t*>(x.raw());
    for (int64_t o = 0, total = y.numel(); o < total; ++o) {
      int64_t offset = 0;
      for (int d = 0; d < rank && offset >= 0; ++d) {
        const int64_t i = source_index(counter[d] - pads[d], in[d], pads[d], pads[d + rank], mode);
        offset = i < 0 ? -1 : offset + i * strides[d];
      }
      std::memcpy(dst + o * elem, offset < 0 ? fill.data() : src + offset * static_cast<int64_t>(elem), elem);
      for (int d = rank; d-- > 0;) {
        if (++counter[d] < out[d]) break;
        counter[d] = 0;
      }
    }
  }
  int opset;
  std::string mode;
  std::vector<int64_t> attr_pads;
  float attr_value;
};

}  // namespace

const kiln_kernel_desc* pad_kernel() { return describe<Pad>(); }

}  // namespace kiln::cpu_ref
