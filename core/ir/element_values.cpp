#include "ir/element_values.hpp"

#include <cstring>

#include "kiln/float16.hpp"
#include "util/error.hpp"

namespace kiln {

namespace {

float bfloat16_to_float(uint16_t bits) {
  const uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &wide, sizeof f);
  return f;
}

uint16_t float_to_bfloat16(float f) {  // round to nearest even; NaN stays NaN
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x7FFFFFu)) return 0x7FC0;
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

}  // namespace

bool is_real(DataType d) {
  return d == KILN_DTYPE_FLOAT32 || d == KILN_DTYPE_FLOAT64 || d == KILN_DTYPE_FLOAT16 || d == KILN_DTYPE_BFLOAT16;
}

double element_at(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case KILN_DTYPE_FLOAT32: return t.as<float>()[i];
    case KILN_DTYPE_FLOAT64: return t.as<double>()[i];
    case KILN_DTYPE_FLOAT16: return static_cast<float>(t.as<float16>()[i]);
    case KILN_DTYPE_BFLOAT16: return bfloat16_to_float(t.as<uint16_t>()[i]);
    case KILN_DTYPE_INT8: return t.as<int8_t>()[i];
    case KILN_DTYPE_UINT8: return t.as<uint8_t>()[i];
    case KILN_DTYPE_INT16: return t.as<int16_t>()[i];
    case KILN_DTYPE_UINT16: return t.as<uint16_t>()[i];
    case KILN_DTYPE_INT32: return t.as<int32_t>()[i];
    case KILN_DTYPE_UINT32: return t.as<uint32_t>()[i];
    case KILN_DTYPE_INT64: return static_cast<double>(t.as<int64_t>()[i]);
    case KILN_DTYPE_UINT64: return static_cast<double>(t.as<uint64_t>()[i]);
    case KILN_DTYPE_BOOL: return t.as<uint8_t>()[i];
    default: throw Error("cannot compare tensors of type " + dtype_name(t.dtype()));
  }
}

void set_element(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case KILN_DTYPE_FLOAT32: t.as<float>()[i] = static_cast<float>(v); return;
    case KILN_DTYPE_FLOAT64: t.as<double>()[i] = v; return;
    case KILN_DTYPE_FLOAT16: t.as<float16>()[i] = float16(static_cast<float>(v)); return;
    case KILN_DTYPE_BFLOAT16: t.as<uint16_t>()[i] = float_to_bfloat16(static_cast<float>(v)); return;
    case KILN_DTYPE_INT8: t.as<int8_t>()[i] = static_cast<int8_t>(v); return;
    case KILN_DTYPE_UINT8: t.as<uint8_t>()[i] = static_cast<uint8_t>(v); return;
    case KILN_DTYPE_INT16: t.as<int16_t>()[i] = static_cast<int16_t>(v); return;
    case KILN_DTYPE_UINT16: t.as<uint16_t>()[i] = static_cast<uint16_t>(v); return;
    case KILN_DTYPE_INT32: t.as<int32_t>()[i] = static_cast<int32_t>(v); return;
    case KILN_DTYPE_UINT32: t.as<uint32_t>()[i] = static_cast<uint32_t>(v); return;
    case KILN_DTYPE_INT64: t.as<int64_t>()[i] = static_cast<int64_t>(v); return;
    case KILN_DTYPE_UINT64: t.as<uint64_t>()[i] = static_cast<uint64_t>(v); return;
    case KILN_DTYPE_BOOL: t.as<uint8_t>()[i] = v != 0; return;
    default: throw Error("cannot fill tensors of type " + dtype_name(t.dtype()));
  }
}

Tensor dense_copy(const Tensor& t) {
  Tensor out(t.dtype(), t.dims());
  if (t.dense()) {
    if (t.bytes()) std::memcpy(out.data(), t.data(), t.bytes());
    return out;
  }
  const size_t element = dtype_size(t.dtype());
  const std::vector<int64_t>& dims = t.dims();
  std::vector<int64_t> counter(dims.size(), 0);
  int64_t at = 0;  // element offset in the view
  for (int64_t i = 0; i < t.numel(); ++i) {
    std::memcpy(out.as<uint8_t>() + i * static_cast<int64_t>(element),
                static_cast<const uint8_t*>(t.data()) + at * static_cast<int64_t>(element), element);
    for (size_t d = dims.size(); d-- > 0;) {
      at += t.strides()[d];
      if (++counter[d] < dims[d]) break;
      at -= t.strides()[d] * dims[d];
      counter[d] = 0;
    }
  }
  return out;
}

}  // namespace kiln
