#include "random_inputs.hpp"

#include <random>

#include "kiln/float16.hpp"
#include "util/error.hpp"

namespace kiln::cli {

Tensor random_input(const Value& value, uint64_t seed) {
  std::vector<int64_t> dims = value.dims;
  for (int64_t& d : dims)
    if (d < 0) d = 1;
  Tensor t(value.dtype, dims);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(0, 9);
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    switch (t.dtype()) {
      case KILN_DTYPE_FLOAT32: t.as<float>()[i] = static_cast<float>(real(rng)); break;
      case KILN_DTYPE_FLOAT64: t.as<double>()[i] = real(rng); break;
      case KILN_DTYPE_FLOAT16: t.as<float16>()[i] = float16(static_cast<float>(real(rng))); break;
      case KILN_DTYPE_INT64: t.as<int64_t>()[i] = small(rng); break;
      case KILN_DTYPE_INT32: t.as<int32_t>()[i] = small(rng); break;
      case KILN_DTYPE_INT8: t.as<int8_t>()[i] = static_cast<int8_t>(small(rng)); break;
      case KILN_DTYPE_UINT8: t.as<uint8_t>()[i] = static_cast<uint8_t>(small(rng)); break;
      case KILN_DTYPE_BOOL: t.as<bool>()[i] = small(rng) % 2 == 0; break;
      default: throw Error("input '" + value.name + "': cannot draw random data of type " + dtype_name(t.dtype()));
    }
  }
  return t;
}

}  // namespace kiln::cli
