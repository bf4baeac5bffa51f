// BatchNormalization (inference, and training mode from opset 14), InstanceNormalization, LayerNormalization
// (with optional Mean/InvStdDev), GroupNormalization. Statistics are computed in double.
#include <cmath>

#include "common/elementwise.hpp"
#include "common/nn_values.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

// Fails unless `x` has at least `rank` dims and `values` has `count` elements (scale, bias, statistics).
void require_rank(const std::vector<int64_t>& dims, size_t rank, const char* op) {
  if (dims.size() < rank) fail_invalid(std::string(op) + ": X needs rank >= " + std::to_string(rank));
}
void require_count(const std::vector<double>& values, int64_t count, const char* what, const char* op) {
  if (static_cast<int64_t>(values.size()) != count)
    fail_invalid(std::string(op) + ": " + what + " has " + std::to_string(values.size()) + " values, expected " + std::to_string(count));
}

void infer_like_x(const Node& node, InferContext& ctx) {
  const ValueInfo x = ctx.input(0);
  if (!x.has_rank) return ctx.set_output_unknown_rank(0, x.dtype);
  ctx.set_output(0, x.dtype, x.dims);
  (void)node;
}

// BatchNormalization: y = scale * (x - mean) / sqrt(var + epsilon) + bias per channel (dim 1), with the
// stored statistics; or, in training mode (opset 14+), with the batch's own mean and population variance, also
// returning the updated running statistics (input * momentum + batch * (1 - momentum)). Opsets 7-8 with
// spatial=0 keep one statistic per (channel, position) instead of per channel. Scale/bias and mean/var may each
// have their own float type (opset 15), so all of them are read through values_as.
struct BatchNormalization {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.BatchNormalization";
    s.op_type = "BatchNormalization";
    s.opset_min = 6;
    s.inputs = std::vector<kiln_io_spec>(5, io(FloatTypes::mask));
    s.outputs = {io(FloatTypes::mask)};
    for (int i = 0; i < 4; ++i) s.outputs.push_back(io(FloatTypes::mask, KILN_IO_OPTIONAL));
    return s;
  }
  static std::string check(const Node& node) {
    const int opset = node.opset();
    if (opset < 7 && node.attr_int("is_test", 0) == 0)
      return "is_test=0 (opset 6 training mode, with saved mean/variance outputs) is not implemented";
    if (opset < 14) {
      for (int i = 1; i < node.num_outputs(); ++i)
        if (node.output(i).present()) return "the training outputs (mean, var, saved mean/var) before opset 14 are not implemented";
    } else if (node.num_outputs() > 3 && node.output(3).present()) {
      return "BatchNormalization has at most 3 outputs from opset 14";
    }
    return "";
  }
  explicit BatchNormalization(const Node& node)
      : epsilon(node.attr_float("epsilon", 1e-5f)),
        momentum(node.attr_float("momentum", 0.9f)),
        training(node.opset() >= 14 && node.attr_int("training_mode", 0) != 0),
        per_position(node.opset() < 9 && node.attr_int("spatial", 1) == 0) {}

  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0);
    set_output_or_unknown(ctx, 0, x.dtype, x.has_rank, x.dims);
    // Training mode's running mean and variance: the dtype and shape of the mean/var inputs.
    for (int i = 1; i < 3 && i < node.num_outputs(); ++i) {
      const ValueInfo stat = ctx.input(2 + i);
      set_output_or_unknown(ctx, i, stat.dtype, stat.has_rank, stat.dims);
    }
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    const std::vector<int64_t> dims = x.shape();
    require_rank(dims, 2, "BatchNormalization");
    const int64_t batch = dims[0], channels = dims[1], size = span_size(dims, 2, dims.size());
    // Statistics per channel, or per (channel, position) with spatial=0.
    const int64_t stats = per_position ? channels * size : channels;
    const std::vector<double> scale = values_as<double>(ctx.input(1), "BatchNormalization");
    const std::vector<double> bias = values_as<double>(ctx.input(2), "BatchNormalization");
    std::vector<double> mean = values_as<double>(ctx.input(3), "BatchNormalization");
    std::vector<double> var = values_as<double>(ctx.input(4), "BatchNormalization");
    require_count(scale, stats, "scale", "BatchNormalization");
    require_count(bias, stats, "B", "BatchNormalization");
    require_count(mean, stats, "mean", "BatchNormalization");
    require_count(var, stats, "var", "BatchNormalization");
    const std::vector<double> xv = values_as<double>(x, "BatchNormalization");
    auto stat_of = [&](int64_t c, int64_t i) { return per_position ? c * size + i : c; };
    if (training) update_running_stats(xv, batch, channels, size, mean, var, ctx);
    std::vector<double> out(xv.size());
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t i = 0; i < size; ++i) {
          const int64_t at = (n * channels + c) * size + i, k = stat_of(c, i);
          out[at] = scale[k] * (xv[at] - mean[k]) / std::sqrt(var[k] + static_cast<double>(epsilon)) + bias[k];
        }
    FloatTypes::dispatch(y.dtype(), "BatchNormalization", [&](auto tag) { store_as<decltype(tag)>(out, y); });
  }

  // Replaces mean/var by the batch's statistics and writes the running ones to outputs 1 and 2 when present.
  void update_running_stats(const std::vector<double>& xv, int64_t batch, int64_t channels, int64_t size,
                            std::vector<double>& mean, std::vector<double>& var, ExecContext& ctx) const {
    std::vector<double> running_mean(mean.size()), running_var(var.size());
    const double count = static_cast<double>(batch * size);
    for (int64_t c = 0; c < channels; ++c) {
      double sum = 0, square_sum = 0;
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t i = 0; i < size; ++i) sum += xv[(n * channels + c) * size + i];
      const double batch_mean = sum / count;
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t i = 0; i < size; ++i) {
          const double d = xv[(n * channels + c) * size + i] - batch_mean;
          square_sum += d * d;
        }
      const double batch_var = square_sum / count, m = static_cast<double>(momentum);
      running_mean[c] = mean[c] * m + batch_mean * (1 - m);
      running_var[c] = var[c] * m + batch_var * (1 - m);
      mean[c] = batch_mean;
      var[c] = batch_var;
    }
    const std::vector<double>* running[] = {&running_mean, &running_var};
    for (int i = 1; i < 3 && i < ctx.num_outputs(); ++i) {
      const Tensor out = ctx.output(i);
      if (out.present())
        FloatTypes::dispatch(out.dtype(), "BatchNormalization", [&](auto tag) { store_as<decltype(tag)>(*running[i - 1], out); });
    }
  }

  float epsilon, momentum;
  bool training, per_position;
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
    require_rank(dims, 2, "InstanceNormalization");
    const int64_t channels = dims[1], planes = span_size(dims, 0, 2), size = span_size(dims, 2, dims.size());
    FloatTypes::dispatch(x.dtype(), "InstanceNormalization", [&](auto tag) {
      using T = decltype(tag);
      const std::vector<double> scale = values_as<double>(ctx.input(1), "InstanceNormalization");
      const std::vector<double> bias = values_as<double>(ctx.input(2), "InstanceNormalization");
      require_count(scale, channels, "scale", "InstanceNormalization");
      require_count(bias, channels, "B", "InstanceNormalization");
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
      const std::vector<double> scale = values_as<double>(scale_t, "LayerNormalization");
      const std::vector<double> bias = ctx.has_input(2) ? values_as<double>(ctx.input(2), "LayerNormalization") : std::vector<double>();
      const std::vector<int64_t> norm_dims(dims.begin() + static_cast<long>(a), dims.end());
      // Scale and bias broadcast against the normalised dims.
      auto require_broadcastable = [&](const Tensor& t, const char* what) {
        if (t.rank() > static_cast<int>(norm_dims.size()) || broadcast_shapes({t.shape(), norm_dims}) != norm_dims)
          fail_invalid(std::string("LayerNormalization: ") + what + " does not broadcast to the normalised dims");
      };
      require_broadcastable(scale_t, "Scale");
      if (!bias.empty()) require_broadcastable(ctx.input(2), "B");
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
    require_rank(dims, 2, "GroupNormalization");
    const int64_t batch = dims[0], channels = dims[1], spatial = span_size(dims, 2, dims.size());
    if (groups <= 0 || channels % groups) fail_invalid("GroupNormalization: num_groups must divide the channels");
    const int64_t per_group = channels / groups;
    FloatTypes::dispatch(x.dtype(), "GroupNormalization", [&](auto tag) {
      using T = decltype(tag);
      const std::vector<double> scale = values_as<double>(ctx.input(1), "GroupNormalization");
      const std::vector<double> bias = values_as<double>(ctx.input(2), "GroupNormalization");
      // Opset 18 gives scale/bias per group, opset 21 per channel.
      const bool per_channel = opset >= 21;
      require_count(scale, per_channel ? channels : groups, "scale", "GroupNormalization");
      require_count(bias, per_channel ? channels : groups, "bias", "GroupNormalization");
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
