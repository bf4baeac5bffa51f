#include "common/gemm_int8_layer.hpp"

#include "common/conv_int8_engine_tuning.hpp"
#include "common/conv_int8_weights.hpp"
#include "common/quant_params.hpp"
#include "kiln/fused.hpp"

namespace kiln::cuda {

namespace {

// B's dims as [K, N] whatever its storage.
struct ProductDims {
  int64_t k = -1, n = -1;
  ProductDims(const ValueInfo& b, bool trans_b) {
    if (b.has_rank && b.rank() == 2) k = b.dims[trans_b ? 1 : 0], n = b.dims[trans_b ? 0 : 1];
  }
};

// Why Y cannot be written, or "".
std::string y_reason(const ValueInfo& y) {
  if (y.dtype == KILN_DTYPE_UNDEFINED || y.dtype == KILN_DTYPE_FLOAT32) return "";
  if (y.dtype != KILN_DTYPE_INT8) return std::string("Y is ") + dtype_name(y.dtype) + "; int8 or float32 are written here";
  if (const std::string why = per_tensor_reason(y, "Y"); !why.empty()) return why;
  if (y.quant.zero_points[0] != 0) return "Y's zero point is " + std::to_string(y.quant.zero_points[0]) + "; symmetric Y only";
  return "";
}

// B's values as rows of output columns: [N, K].
std::vector<double> columns_as_rows(const std::vector<double>& b, const ProductDims& d, bool trans_b) {
  if (trans_b) return b;
  std::vector<double> rows(b.size());
  for (int64_t i = 0; i < d.k; ++i)
    for (int64_t j = 0; j < d.n; ++j) rows[static_cast<size_t>(j * d.k + i)] = b[static_cast<size_t>(i * d.n + j)];
  return rows;
}

}  // namespace

std::string gemm_int8_reason(const Node& node, const GemmInt8Recipe& recipe) {
  const ValueInfo a = node.input(0), b = node.input(1);
  if (std::string why = per_tensor_reason(a, "A"); !why.empty()) return why;
  if (a.quant.zero_points[0] != 0) return "A's zero point is " + std::to_string(a.quant.zero_points[0]) + "; symmetric int8 A only";
  if (a.dtype != KILN_DTYPE_INT8) return std::string("A is ") + dtype_name(a.dtype) + "; int8 only";
  if (!b.data || !b.shape_known() || b.rank() != 2) return "B '" + b.name + "' is not a 2-D constant";
  if (b.dtype != KILN_DTYPE_FLOAT32) return "B '" + b.name + "' is " + dtype_name(b.dtype) + "; a float32 constant only";
  if (std::string why = int8_grid_reason(b, "B", recipe.trans_b ? 0 : 1); !why.empty()) return why;  // per output column
  const ProductDims d(b, recipe.trans_b);
  if (d.k <= 0 || d.k % 16 != 0) return "K = " + std::to_string(d.k) + " is not a positive multiple of 16 (16-byte rows of A)";
  if (d.n % 8 != 0) return "N = " + std::to_string(d.n) + " is not a multiple of 8";
  if (a.has_rank && a.rank() >= 1 && a.dims.back() >= 0 && a.dims.back() != d.k)
    return "A's last dim " + std::to_string(a.dims.back()) + " is not B's K = " + std::to_string(d.k);
  if (recipe.c_input >= 0 && recipe.beta != 0.0) {
    const ValueInfo c = node.input(recipe.c_input);
    if (!c.data || !c.shape_known() || (c.numel() != 1 && c.numel() != d.n) || (c.rank() == 2 && c.dims[0] != 1) || c.rank() > 2)
      return "C is not a constant with one value or one per column (a bias)";
  }
  return y_reason(node.output(0));
}

GemmInt8Layer::GemmInt8Layer(const Node& node, const GemmInt8Recipe& recipe)
    : label_(node.op_type() + " '" + node.name() + "' (int8)") {
  if (const std::string why = gemm_int8_reason(node, recipe); !why.empty()) fail_unsupported(label_ + ": " + why);
  const ValueInfo a = node.input(0), b = node.input(1), y = node.output(0);
  const ProductDims d(b, recipe.trans_b);
  k_ = d.k, n_ = d.n;
  reals_ = y.dtype != KILN_DTYPE_INT8;
  std::vector<double> rows = columns_as_rows(constant_doubles(b, label_), d, recipe.trans_b);
  const std::vector<double> b_scales =
      b.quant.present() ? recover_integers(rows, b.quant, n_, label_) : quantize_per_channel(rows, n_);
  std::vector<int8_t> integers(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) integers[i] = static_cast<int8_t>(rows[i]);
  weight_ = DeviceBuffer(integers);
  node.note(b.quant.present() ? "int8 B from its own quantization parameters" : "int8 B quantized per output column (symmetric) when created");
  // Per column n: real = sum * (alpha * a_scale * b_scale[n]) + beta * C[n], divided by Y's scale for int8 Y.
  const double unit = reals_ ? 1.0 : 1.0 / static_cast<double>(y.quant.scales[0]);
  std::vector<double> c(static_cast<size_t>(n_), 0.0);
  if (recipe.c_input >= 0 && recipe.beta != 0.0) {
    const std::vector<double> values = constant_doubles(node.input(recipe.c_input), label_);
    for (size_t j = 0; j < c.size(); ++j) c[j] = recipe.beta * (values.size() == 1 ? values[0] : values[j]);
  }
  std::vector<float> scale(c.size()), bias(c.size());
  for (size_t j = 0; j < c.size(); ++j) {
    scale[j] = static_cast<float>(recipe.alpha * static_cast<double>(a.quant.scales[0]) * b_scales[j] * unit);
    bias[j] = static_cast<float>(c[j] * unit);
  }
  scale_ = DeviceBuffer(scale);
  bias_ = DeviceBuffer(bias);
  constants_.w = weight_.as<const int8_t>();
  constants_.scale = scale_.as<const float>();
  constants_.bias = bias_.as<const float>();
  // The tile shape for the rows known now (all dims of A but the last); one row when they are not.
  int64_t m = 1;
  for (size_t i = 0; a.has_rank && i + 1 < a.dims.size(); ++i) m *= a.dims[i] >= 0 ? a.dims[i] : 1;
  ConvInt8ImmaArgs timed = constants_;
  timed.shape = shape_for(m);
  std::string note;
  tile_ = m > 0 ? tune_conv_int8_own_tile(timed, false, reals_, &note) : 0;
  node.note("kiln int8 implicit GEMM (" + std::string(reals_ ? "float32" : "int8") + " out): " + (m > 0 ? note : "no rows to time"));
}

ConvInt8ImmaShape GemmInt8Layer::shape_for(int64_t m) const {
  ConvInt8ImmaShape s;
  s.n = m, s.h = s.w = 1, s.c = k_, s.k = n_, s.r = s.s = 1, s.oh = s.ow = 1;
  return s;
}

void GemmInt8Layer::execute(const ExecContext& ctx) const {
  const Tensor a = ctx.input(0), y = ctx.output(0);
  const std::vector<int64_t> dims = a.shape();
  if (dims.empty() || dims.back() != k_) fail_invalid(label_ + ": A's last dim is not K = " + std::to_string(k_));
  if (a.strides() || y.strides()) fail_invalid(label_ + ": A and Y must be dense row-major");
  const int64_t m = a.numel() / k_;
  if (y.numel() != m * n_) fail_invalid(label_ + ": Y holds " + std::to_string(y.numel()) + " values, not M x N = " + std::to_string(m * n_));
  if (m == 0) return;
  ConvInt8ImmaArgs args = constants_;
  args.shape = shape_for(m);
  args.x = static_cast<const int8_t*>(a.raw());
  if (reals_) args.y_real = static_cast<float*>(y.raw());
  else args.y = static_cast<int8_t*>(y.raw());
  if (!conv_int8_imma_aligned(args)) fail_invalid(label_ + ": A or Y is not aligned for 16/8-byte access");
  launch_conv_int8_imma(args, tile_, static_cast<cudaStream_t>(ctx.stream()));
}

}  // namespace kiln::cuda
