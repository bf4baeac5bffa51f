// MaxPool and AveragePool over 2-D windows, on our own kernel (common/pool_window.hpp) rather than
// cudnnPoolingForward: cuDNN pads both sides of a dim alike and has no ceil_mode, and GoogLeNet's max pools use
// ceil_mode where it changes the output size. X and Y may be NCHW or NHWC; float32, float16, or int8/uint8 values
// with their quantization parameters (a result requantized when Y's grid is not X's: common/pool_window.hpp).
#include <algorithm>
#include <string>
#include <vector>

#include "common/pool_quant.hpp"
#include "common/pool_window.hpp"

namespace kiln::cuda {
namespace {

constexpr uint64_t kPoolDtypes = KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT16) | kQuantizedDtypes;
constexpr uint32_t kImageLayouts = KILN_LAYOUT_BIT(KILN_LAYOUT_LINEAR) | KILN_LAYOUT_BIT(KILN_LAYOUT_NHWC);

bool same_padding(const std::string& auto_pad) { return auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER"; }

// A pooling node's window attributes, resolved per call against X's spatial dims (as the reference's window.hpp).
struct PoolAttributes {
  std::string label, auto_pad;
  std::vector<int64_t> kernel, strides, dilations, pads;
  bool ceil_mode;

  explicit PoolAttributes(const Node& node)
      : label(node.op_type() + " '" + node.name() + "'"),
        auto_pad(node.attr_string("auto_pad", "NOTSET")),
        kernel(node.attr_ints("kernel_shape", {})),
        strides(node.attr_ints("strides", {1, 1})),
        dilations(node.attr_ints("dilations", {1, 1})),
        pads(node.attr_ints("pads", {0, 0, 0, 0})),
        ceil_mode(node.attr_int("ceil_mode", 0) != 0) {}

  std::string unsupported(const ValueInfo& x) const {
    if (!x.has_rank || x.rank() != 4) return "only 2-D pooling runs here (X's rank is not 4)";
    if (kernel.size() != 2 || strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
      return "kernel_shape, strides, dilations or pads do not describe 2 spatial dims";
    for (int d = 0; d < 2; ++d)
      if (kernel[d] <= 0 || strides[d] <= 0 || dilations[d] <= 0) return "kernel_shape, strides and dilations must be positive";
    if (auto_pad != "NOTSET" && auto_pad != "VALID" && !same_padding(auto_pad)) return "unknown auto_pad '" + auto_pad + "'";
    return "";
  }

  // The window over X's spatial dims {h, w}, and the output's spatial dims in `out`.
  PoolWindow window(const int64_t in[2], int64_t out[2]) const {
    PoolWindow w;
    for (int d = 0; d < 2; ++d) {
      w.kernel[d] = kernel[d], w.stride[d] = strides[d], w.dilation[d] = dilations[d];
      const int64_t extent = (kernel[d] - 1) * dilations[d] + 1;
      if (same_padding(auto_pad)) {
        out[d] = (in[d] + strides[d] - 1) / strides[d];
        const int64_t total = std::max<int64_t>(0, (out[d] - 1) * strides[d] + extent - in[d]);
        w.pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        w.pad_end[d] = total - w.pad_begin[d];
        continue;
      }
      w.pad_begin[d] = auto_pad == "VALID" ? 0 : pads[d];
      w.pad_end[d] = auto_pad == "VALID" ? 0 : pads[d + 2];
      const int64_t span = in[d] + w.pad_begin[d] + w.pad_end[d] - extent;
      if (span < 0) fail_invalid(label + ": the window is larger than the padded input");
      out[d] = (ceil_mode ? (span + strides[d] - 1) / strides[d] : span / strides[d]) + 1;
      // With ceil_mode, a last window that would start in the end padding is dropped.
      if (ceil_mode && (out[d] - 1) * strides[d] >= in[d] + w.pad_begin[d]) --out[d];
    }
    return w;
  }
};

template <bool kMax>
struct WindowPool {
  static KernelSpec spec() {
    KernelSpec s;
    s.op_type = kMax ? "MaxPool" : "AveragePool";
    s.name = "kiln.cuda." + s.op_type;
    s.device = KILN_DEVICE_CUDA;
    // Int8/uint8 pooling reads X's and Y's scales (QUANTIZED); a max is also exact on integers that share one
    // grid (QUANT_PASSTHROUGH: the builder then gives Y X's parameters and the requantization is the identity).
    s.flags = kMax ? KILN_KERNEL_QUANTIZED | KILN_KERNEL_QUANT_PASSTHROUGH : KILN_KERNEL_QUANTIZED;
    // Channels-last runs the vectorised path (16 bytes of neighbouring channels per thread).
    s.inputs = {io_layouts(kPoolDtypes, kImageLayouts, KILN_IO_PREFERS_NHWC)};
    s.outputs = {io_layouts(kPoolDtypes, kImageLayouts, KILN_IO_PREFERS_NHWC)};
    if (kMax) s.outputs.push_back(io(KILN_DTYPE_BIT(KILN_DTYPE_INT64), KILN_IO_OPTIONAL));  // Indices: declined below
    return s;
  }
  static std::string check(const Node& node) {
    if (kMax && node.num_outputs() > 1 && node.output(1).present()) return "MaxPool's Indices output is not computed here";
    if (std::string why = quantized_reason(node, kMax); !why.empty()) return why;
    return PoolAttributes(node).unsupported(node.input(0));
  }

  explicit WindowPool(const Node& node)
      : attrs(node), kind(kMax ? PoolKind::Max
                               : node.attr_int("count_include_pad", 0) ? PoolKind::AverageIncludingPads
                                                                        : PoolKind::AverageExcludingPads) {
    if (const std::string why = attrs.unsupported(node.input(0)); !why.empty()) fail_unsupported(attrs.label + ": " + why);
    if (const std::string why = quantized_reason(node, kMax); !why.empty()) fail_unsupported(attrs.label + ": " + why);
    quant = pool_quant(node);
  }

  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.output(0);
    PoolLaunch l;
    l.kind = kind;
    l.dtype = x.dtype();
    l.quant = quant;
    l.x = x.raw(), l.x_dims = ImageDims::of(x);
    l.y = y.raw(), l.y_dims = ImageDims::of(y);
    const int64_t in[2] = {l.x_dims.dims[2], l.x_dims.dims[3]};
    int64_t out[2] = {0, 0};
    l.window = attrs.window(in, out);
    if (y.dtype() != x.dtype() || l.y_dims.dims[0] != l.x_dims.dims[0] || l.y_dims.dims[1] != l.x_dims.dims[1] ||
        l.y_dims.dims[2] != out[0] || l.y_dims.dims[3] != out[1])
      fail_invalid(attrs.label + ": Y " + l.y_dims.text() + " is not the pooled X " + l.x_dims.text());
    launch_window_pool(l, static_cast<cudaStream_t>(ctx.stream()));
  }

  PoolAttributes attrs;
  PoolKind kind;
  PoolQuant quant;
};

}  // namespace

const kiln_kernel_desc* max_pool_kernel() { return describe<WindowPool<true>>(); }
const kiln_kernel_desc* average_pool_kernel() { return describe<WindowPool<false>>(); }

}  // namespace kiln::cuda
