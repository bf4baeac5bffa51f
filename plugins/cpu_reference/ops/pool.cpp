// MaxPool (with optional Indices), AveragePool (count_include_pad) and LpPool over N-D windows.
#include <cmath>
#include <limits>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"
#include "common/window.hpp"

namespace kiln::cpu_ref {
namespace {

enum class PoolKind { Max, Average, Lp };

// Calls visit(offset, inside) for every kernel tap of output position `o_idx` (offset into one input plane).
template <class Fn>
void for_each_tap(const Window& w, const std::vector<int64_t>& in, const std::vector<int64_t>& in_strides,
                  const std::vector<int64_t>& o_idx, Fn&& visit) {
  const size_t rank = w.rank();
  std::vector<int64_t> k(rank, 0);
  const int64_t taps = product(w.kernel);
  for (int64_t t = 0; t < taps; ++t) {
    int64_t offset = 0;
    bool inside = true, in_padded = true;
    for (size_t d = 0; d < rank; ++d) {
      const int64_t i = o_idx[d] * w.strides[d] - w.pad_begin[d] + k[d] * w.dilations[d];
      inside = inside && i >= 0 && i < in[d];
      in_padded = in_padded && i < in[d] + w.pad_end[d];
      offset += i * in_strides[d];
    }
    visit(offset, inside, in_padded);
    for (size_t d = rank; d-- > 0;) {
      if (++k[d] < w.kernel[d]) break;
      k[d] = 0;
    }
  }
}

// LpPool's p: a float attribute in opset 1, an int after.
int64_t lp_exponent(const Node& node) {
  if (node.has("p") && node.host()->attr_kind(node.handle(), "p") == KILN_ATTR_FLOAT) {
    const float p = node.attr_float("p");
    if (p != static_cast<float>(static_cast<int64_t>(p))) fail_unsupported("LpPool: a non-integer p is not implemented");
    return static_cast<int64_t>(p);
  }
  return node.attr_int("p", 2);
}

template <PoolKind kKind>
struct Pool {
  static constexpr const char* kName = kKind == PoolKind::Max ? "MaxPool" : kKind == PoolKind::Average ? "AveragePool" : "LpPool";
  using Types = std::conditional_t<kKind == PoolKind::Max,
                                   DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_FLOAT16, KILN_DTYPE_INT8, KILN_DTYPE_UINT8>,
                                   FloatTypes>;
  static KernelSpec spec() {
    KernelSpec s;
    s.name = std::string("kiln.cpu_ref.") + kName;
    s.op_type = kName;
    s.inputs = {io(Types::mask)};
    s.outputs = {io(Types::mask)};
    if (kKind == PoolKind::Max) {
      s.outputs.push_back(io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL));
      s.flags = KILN_KERNEL_QUANT_PASSTHROUGH;  // the largest integer stands for the largest real on one grid
    }
    return s;
  }
  explicit Pool(const Node& node)
      : attrs(node),
        count_include_pad(node.attr_int("count_include_pad", 0) != 0),
        storage_order(node.attr_int("storage_order", 0)),
        p(lp_exponent(node)) {
    if (attrs.kernel.empty()) fail_invalid(attrs.label + ": kernel_shape is required");
  }
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) {
      for (int i = 0; i < node.num_outputs(); ++i) ctx.set_output_unknown_rank(i, i ? KILN_DTYPE_INT64 : x.dtype);
      return;
    }
    const Window w = Pool(node).attrs.resolve(spatial_dims(x.dims));
    std::vector<int64_t> out = {x.dims[0], x.dims[1]};
    out.insert(out.end(), w.out.begin(), w.out.end());
    ctx.set_output(0, x.dtype, out);
    if (node.num_outputs() > 1) ctx.set_output(1, KILN_DTYPE_INT64, out);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = x.shape(), in = spatial_dims(dims);
    if (dims.size() < 3) fail_invalid(attrs.label + ": X needs rank >= 3 (N, C and spatial dims)");
    const Window w = attrs.resolve(in);
    const std::vector<int64_t> in_strides = dense_strides(in);
    const int64_t planes = dims[0] * dims[1], in_size = product(in), out_size = product(w.out);
    int64_t* indices = kKind == PoolKind::Max && ctx.num_outputs() > 1 && ctx.output(1).present() ? ctx.output(1).template data<int64_t>() : nullptr;
    Types::dispatch(x.dtype(), kName, [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const T* px = x.data<T>();
      T* py = y.data<T>();
      std::vector<int64_t> o_idx(w.rank(), 0);
      for (int64_t o = 0; o < out_size; ++o) {
        for (int64_t plane = 0; plane < planes; ++plane) {
          const T* src = px + plane * in_size;
          double acc = kKind == PoolKind::Max ? -std::numeric_limits<double>::infinity() : 0.0;
          int64_t count = 0, best = -1;
          for_each_tap(w, in, in_strides, o_idx, [&](int64_t offset, bool inside, bool in_padded) {
            if (kKind == PoolKind::Average && count_include_pad ? in_padded : inside) ++count;
            if (!inside) return;
            const double v = static_cast<double>(static_cast<C>(src[offset]));
            if (kKind == PoolKind::Max) {
              if (v > acc || best < 0) acc = v, best = offset;
            } else if (kKind == PoolKind::Average) {
              acc += v;
            } else {
              acc += std::pow(std::fabs(v), static_cast<double>(p));
            }
          });
          double result = acc;
          if (kKind == PoolKind::Average) result = count ? acc / static_cast<double>(count) : 0.0;
          if (kKind == PoolKind::Lp) result = std::pow(acc, 1.0 / static_cast<double>(p));
          py[plane * out_size + o] = static_cast<T>(static_cast<C>(result));
          if (indices) indices[plane * out_size + o] = plane * in_size + storage_index(best, in);
        }
        for (size_t d = w.rank(); d-- > 0;) {
          if (++o_idx[d] < w.out[d]) break;
          o_idx[d] = 0;
        }
      }
    });
  }
  // A row-major plane offset as MaxPool's Indices reports it: column-major (first spatial dim fastest) when
  // storage_order is 1.
  int64_t storage_index(int64_t offset, const std::vector<int64_t>& in) const {
    if (storage_order == 0) return offset;
    int64_t index = 0;
    for (size_t d = in.size(); d-- > 0;) {
      index += (offset % in[d]) * span_size(in, 0, d);
      offset /= in[d];
    }
    return index;
  }
  WindowAttrs attrs;
  bool count_include_pad;
  int64_t storage_order, p;
};

// GlobalAveragePool, GlobalMaxPool, GlobalLpPool: one value per (n, c) plane.
template <PoolKind kKind>
struct GlobalPool {
  static constexpr const char* kName = kKind == PoolKind::Max ? "GlobalMaxPool" : kKind == PoolKind::Average ? "GlobalAveragePool" : "GlobalLpPool";
  static KernelSpec spec() {
    KernelSpec s;
    s.name = std::string("kiln.cpu_ref.") + kName;
    s.op_type = kName;
    s.inputs = {io(FloatTypes::mask)};
    s.outputs = {io(FloatTypes::mask)};
    return s;
  }
  explicit GlobalPool(const Node& node) : p(lp_exponent(node)) {}
  static void infer(const Node&, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    std::vector<int64_t> out(x.dims.size(), 1);
    out[0] = x.dims[0];
    if (out.size() > 1) out[1] = x.dims[1];
    ctx.set_output(0, x.dtype, out);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = x.shape();
    const int64_t planes = span_size(dims, 0, 2), size = span_size(dims, 2, dims.size());
    FloatTypes::dispatch(x.dtype(), kName, [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      const T* px = x.data<T>();
      for (int64_t plane = 0; plane < planes; ++plane) {
        double acc = kKind == PoolKind::Max ? -std::numeric_limits<double>::infinity() : 0.0;
        for (int64_t i = 0; i < size; ++i) {
          const double v = static_cast<double>(static_cast<C>(px[plane * size + i]));
          if (kKind == PoolKind::Max) acc = std::max(acc, v);
          else if (kKind == PoolKind::Average) acc += v;
          else acc += std::pow(std::fabs(v), static_cast<double>(p));
        }
        if (kKind == PoolKind::Average) acc /= static_cast<double>(size);
        if (kKind == PoolKind::Lp) acc = std::pow(acc, 1.0 / static_cast<double>(p));
        y.data<T>()[plane] = static_cast<T>(static_cast<C>(acc));
      }
    });
  }
  int64_t p;
};

}  // namespace

const kiln_kernel_desc* max_pool_kernel() { return describe<Pool<PoolKind::Max>>(); }
const kiln_kernel_desc* average_pool_kernel() { return describe<Pool<PoolKind::Average>>(); }
const kiln_kernel_desc* lp_pool_kernel() { return describe<Pool<PoolKind::Lp>>(); }
const kiln_kernel_desc* global_max_pool_kernel() { return describe<GlobalPool<PoolKind::Max>>(); }
const kiln_kernel_desc* global_average_pool_kernel() { return describe<GlobalPool<PoolKind::Average>>(); }
const kiln_kernel_desc* global_lp_pool_kernel() { return describe<GlobalPool<PoolKind::Lp>>(); }

}  // namespace kiln::cpu_ref
