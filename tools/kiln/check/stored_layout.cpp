#include "stored_layout.hpp"

#include <cstring>

#include "builder/layout_assignment.hpp"
#include "runtime/run_node.hpp"

namespace kiln::check {

namespace {

bool channels_last(const Tensor& t, kiln_layout layout) { return layout == KILN_LAYOUT_NHWC && t.rank() == 4; }

// A tensor over `bytes` (channels-last data) that keeps it alive, with NHWC strides.
Tensor nhwc_view(const Tensor& bytes) {
  auto owner = std::make_shared<Tensor>(bytes);
  std::shared_ptr<uint8_t> data(owner, owner->as<uint8_t>());
  return Tensor(bytes.dtype(), bytes.dims(), data, data.get(), nhwc_strides(bytes.dims())).placed(KILN_LAYOUT_NHWC, KILN_DEVICE_CPU);
}

}  // namespace

Tensor stored_as(const Tensor& dense, kiln_layout layout) {
  if (dense.empty() || !channels_last(dense, layout)) return dense;
  Tensor bytes(dense.dtype(), dense.dims());
  const std::vector<int64_t>& d = dense.dims();
  const int64_t plane = d[2] * d[3];
  const size_t element = dtype_size(dense.dtype());
  const auto* from = static_cast<const uint8_t*>(dense.data());
  for (int64_t n = 0; n < d[0]; ++n)
    for (int64_t c = 0; c < d[1]; ++c)
      for (int64_t p = 0; p < plane; ++p)  // element (n, c, p) goes to (n, p, c)
        std::memcpy(bytes.as<uint8_t>() + ((n * plane + p) * d[1] + c) * static_cast<int64_t>(element),
                    from + ((n * d[1] + c) * plane + p) * static_cast<int64_t>(element), element);
  return nhwc_view(bytes);
}

Tensor poisoned_as(const OutputShape& shape, kiln_layout layout) {
  if (shape.dtype == KILN_DTYPE_UNDEFINED) return Tensor();
  Tensor t(shape.dtype, shape.dims);
  poison(t);
  return channels_last(t, layout) ? nhwc_view(t) : t;
}

}  // namespace kiln::check
