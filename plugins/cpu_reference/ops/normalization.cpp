// BatchNormalization (inference), InstanceNormalization, LayerNormalization (with optional Mean/InvStdDev),
// GroupNormalization. Statistics are computed in double.
#include <cmath>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

template <class T>
std::vector<double> as_doubles(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(static_cast<compute_type_t<T>>(t.data<T>()[i]));
  return out;
}

void infer_like_x(const Node& node, InferContext& ctx) {
  const ValueInfo x = ctx.input(0);
  if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
  ctx.set_output(0, x.dtype, x.dims);
  (void)node;
}

struct BatchNormalization {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.BatchNormalization";
    s.op_type = "BatchNormalization";
    s.opset_min = 7;
    s.inputs = std::vector<kiln_io_spec>(5, io(FloatTypes::mask));
    s.outputs = {io(FloatTypes::mask), io(FloatTypes::mask, KILN_IO_OPTIONAL), io(FloatTypes::mask, KILN_IO_OPTIONAL)};
    return s;
  }
  static std::string check(const Node& node) {
    if (node.attr_int("training_mode", 0) != 0) return "training_mode=1 (batch statistics) is not an inference mode";
    if (node.num_outputs() > 1 && node.output(1).present()) return "running mean/var outputs are training-only";
    return "";
  }
  explicit BatchNormalization(const Node& node) : epsilon(node.attr_float("epsilon", 1e-5f)) {}
  static void infer(const Node& node, InferContext& ctx) { infer_like_x(node, ctx); }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = x.shape();
    const int64_t batch = dims[0], channels = dims.size() > 1 ? dims[1] : 1, size = span_size(dims, 2, dims.size());
    FloatTypes::dispatch(x.dtype(), "BatchNormalization", [&](auto tag) {
      using T = decltype(tag);
      using C = compute_type_t<T>;
      // Each channel is y = x * scale' + shift', folded once per call.
      const std::vector<double> scale = as_doubles<T>(ctx.input(1)), bias = as_doubles<T>(ctx.input(2)),
                                mean = as_doubles<T>(ctx.input(3)), var = as_doubles<T>(ctx.input(4));
      const T* px = x.data<T>();
      T* py = y.data<T>();
      for (int64_t c = 0; c < channels; ++c) {
        const double k = scale[c] / std::sqrt(var[c] + static_cast<double>(epsilon));
        const double b = bias[c] - mean[c] * k;
        for (int64_t n = 0; n < batch; ++n) {
          const int64_t base = (n * channels + c) * size;
          for (int64_t i = 0; i < size; ++i) py[base + i] = static_cast<T>(static_cast<C>(static_cast<double>(static_cast<C>(px[base + i])) * k + b));
        }
      }
    });
  }
  float epsilon;
};

// Normalises `groups` contiguous runs of `size` values each: y = (x - mean) / sqrt(var + eps), then an
// affine step per element. Returns each run's mean and 1/stddev.
template <class T, class Affine>
void normalize_runs(const T* px, T* py, int64_t groups, int64_t size, double epsilon, Affine&& affine,
                    std::vector<double>* means = nullptr, std::vector<double>* inv_stds = nullptr) {
  using C = compute_type_t<T>;
  for (int64_t g = 0; g < groups; ++g) {
    const T* in = px + g * size;
    double mean = 0, var = 0;
    for (int64_t i = 0; i < size; ++i) mean += static_cast<double>(static_cast<C>(in[i]));
    mean /= static_cast<double>(size);
    for (int64_t i = 0; i < size; ++i) {
      const double d = static_cast<double>(static_cast<C>(in[i])) - mean;
      var += d * d;
    }
    var /= static_cast<double>(size);
    const double inv_std = 1.0 / std::sqrt(var + epsilon);
    for (int64_t i = 0; i < size; ++i)
      py[g * size + i] = static_cast<T>(static_cast<C>(affine(g, i, (static_cast<double>(static_cast<C>(in[i])) - mean) * inv_std)));
    if (means) means->push_back(mean);
    if (inv_stds) inv_stds->push_back(inv_std);
  }
}

struct InstanceNormalization {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.InstanceNormalization";
    s.op_type = "InstanceNormalization";
    s.opset_min = 6;
    s.inputs = std::vector<kiln_io_spec>(3, io(FloatTypes::mask));
    s.outputs = {io(FloatTypes::mask)};
    return s;
  }
  explicit InstanceNormalization(const Node& node) : epsilon(node.attr_float("epsilon", 1e-5f)) {}
  static void infer(const Node& node, InferContext& ctx) { infer_like_x(node, ctx); }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = x.shape();
    const int64_t channels = dims[1], planes = span_size(dims, 0, 2), size = span_size(dims, 2, dims.size());
    FloatTypes::dispatch(x.dtype(), "InstanceNormalization", [&](auto tag) {
      using T = decltype(tag);
      const std::vector<double> scale = as_doubles<T>(ctx.input(1)), bias = as_doubles<T>(ctx.input(2));
      normalize_runs(x.data<T>(), y.data<T>(), planes, size, epsilon,
                     [&](int64_t g, int64_t, double v) { return v * scale[g % channels] + bias[g % channels]; });
    });
  }
  float epsilon;
};

struct LayerNormalization {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.LayerNormalization";
    s.op_type = "LayerNormalization";
    s.opset_min = 17;
    s.inputs = {io(FloatTypes::mask), io(FloatTypes::mask), io(FloatTypes::mask, KILN_IO_OPTIONAL)};
    s.outputs = {io(FloatTypes::mask), io(FloatTypes::mask, KILN_IO_OPTIONAL), io(FloatTypes::mask, KILN_IO_OPTIONAL)};
    return s;
  }
  explicit LayerNormalization(const Node& node)
      : axis(node.attr_int("axis", -1)), epsilon(node.attr_float("epsilon", 1e-5f)),
        stash_type(static_cast<kiln_dtype>(node.attr_int("stash_type", KILN_DTYPE_FLOAT32))) {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
    ctx.set_output(0, x.dtype, x.dims);
    const LayerNormalization k(node);
    const int a = normalize_axis(k.axis, x.rank(), "LayerNormalization");
    std::vector<int64_t> stat = x.dims;
    for (size_t i = static_cast<size_t>(a); i < stat.size(); ++i) stat[i] = 1;
    for (int i = 1; i < node.num_outputs() && i < 3; ++i) ctx.set_output(i, k.stash_type, stat);
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = x.shape();
    const size_t a = static_cast<size_t>(normalize_axis(axis, x.rank(), "LayerNormalization"));
    const int64_t groups = span_size(dims, 0, a), size = span_size(dims, a, dims.size());
    std::vector<double> means, inv_stds;
    FloatTypes::dispatch(x.dtype(), "LayerNormalization", [&](auto tag) {
      using T = decltype(tag);
      const Tensor scale_t = ctx.input(1);
      const std::vector<double> scale = as_doubles<T>(scale_t);
      const std::vector<double> bias = ctx.has_input(2) ? as_doubles<T>(ctx.input(2)) : std::vector<double>();
      const std::vector<int64_t> norm_dims(dims.begin() + static_cast<long>(a), dims.end());
      // Scale and bias broadcast against the normalised dims.
      const std::vector<int64_t> s_strides = broadcast_strides(scale_t.shape(), norm_dims);
      const std::vector<int64_t> b_strides = bias.empty() ? s_strides : broadcast_strides(ctx.input(2).shape(), norm_dims);
      const std::vector<int64_t> n_strides = dense_strides(norm_dims);
      auto offset = [&](int64_t i, const std::vector<int64_t>& strides) {
        int64_t off = 0;
        for (size_t d = 0; d < norm_dims.size(); ++d) off += ((i / n_strides[d]) % norm_dims[d]) * strides[d];
        return off;
      };
      normalize_runs(x.data<T>(), y.data<T>(), groups, size, epsilon, [&](int64_t, int64_t i, double v) {
        return v * scale[offset(i, s_strides)] + (bias.empty() ? 0.0 : bias[offset(i, b_strides)]);
      }, &means, &inv_stds);
    });
    const std::vector<double>* stats[] = {&means, &inv_stds};
    for (int i = 1; i < ctx.num_outputs() && i < 3; ++i) {
      const Tensor out = ctx.output(i);
      if (!out.present()) continue;
      FloatTypes::dispatch(out.dtype(), "LayerNormalization", [&](auto tag) {
        using T = decltype(tag);
        for (size_t g = 0; g < stats[i - 1]->size(); ++g) out.data<T>()[g] = static_cast<T>(static_cast<compute_type_t<T>>((*stats[i - 1])[g]));
      });
    }
  }
  int64_t axis;
  float epsilon;
  kiln_dtype stash_type;
};

struct GroupNormalization {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.GroupNormalization";
    s.op_type = "GroupNormalization";
    s.opset_min = 18;
    s.inputs = std::vector<kiln_io_spec>(3, io(FloatTypes::mask));
    s.outputs = {io(FloatTypes::mask)};
    return s;
  }
  explicit GroupNormalization(const Node& node)
      : groups(node.attr_int("num_groups")), epsilon(node.attr_float("epsilon", 1e-5f)), opset(node.opset()) {}
  static void infer(const Node& node, InferContext& ctx) { infer_like_x(node, ctx); }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = x.shape();
    const int64_t batch = dims[0], channels = dims[1], spatial = span_size(dims, 2, dims.size());
    if (groups <= 0 || channels % groups) fail_invalid("GroupNormalization: num_groups must divide the channels");
    const int64_t per_group = channels / groups;
    FloatTypes::dispatch(x.dtype(), "GroupNormalization", [&](auto tag) {
      using T = decltype(tag);
      const std::vector<double> scale = as_doubles<T>(ctx.input(1)), bias = as_doubles<T>(ctx.input(2));
      // Opset 18 gives scale/bias per group, opset 21 per channel.
      const bool per_channel = static_cast<int64_t>(scale.size()) == channels && opset >= 21;
      normalize_runs(x.data<T>(), y.data<T>(), batch * groups, per_group * spatial, epsilon, [&](int64_t g, int64_t i, double v) {
        const int64_t c = (g % groups) * per_group + i / spatial;
        const int64_t k = per_channel ? c : g % groups;
        return v * scale[k] + bias[k];
      });
    });
  }
  int64_t groups;
  float epsilon;
  int opset;
};

}  // namespace

const kiln_kernel_desc* batch_normalization_kernel() { return describe<BatchNormalization>(); }
const kiln_kernel_desc* instance_normalization_kernel() { return describe<InstanceNormalization>(); }
const kiln_kernel_desc* layer_normalization_kernel() { return describe<LayerNormalization>(); }
const kiln_kernel_desc* group_normalization_kernel() { return describe<GroupNormalization>(); }

}  // namespace kiln::cpu_ref
