// Constant inputs as the kernels read them in create: a constant's host values widened to double (whatever float
// type the builder left it in), and values narrowed to the dtype a kernel computes in, uploaded to the device.
#ifndef KILN_CUDA_HOST_VALUES_HPP
#define KILN_CUDA_HOST_VALUES_HPP

#include <cstring>
#include <string>
#include <vector>

#include "common/device_buffer.hpp"
#include "kiln/plugin.hpp"

namespace kiln::cuda {

// The values of constant `v` (float16, float32 or float64) as double; `what` names it in errors.
inline std::vector<double> constant_values(const ValueInfo& v, const std::string& what) {
  if (!v.data) fail_invalid(what + ": '" + v.name + "' must be a constant");
  if (!v.shape_known()) fail_invalid(what + ": the shape of '" + v.name + "' must be known");
  std::vector<double> out(static_cast<size_t>(v.numel()));
  for (size_t i = 0; i < out.size(); ++i) {
    switch (v.dtype) {
      case KILN_DTYPE_FLOAT32: out[i] = v.as<float>()[i]; break;
      case KILN_DTYPE_FLOAT64: out[i] = v.as<double>()[i]; break;
      case KILN_DTYPE_FLOAT16: out[i] = static_cast<float>(v.as<float16>()[i]); break;
      default: fail_invalid(what + ": '" + v.name + "' is " + dtype_name(v.dtype) + ", expected a float type");
    }
  }
  return out;
}

// `values` in `dtype` (float32 or float16), as bytes in host memory.
inline std::vector<uint8_t> narrowed(const std::vector<double>& values, kiln_dtype dtype) {
  std::vector<uint8_t> bytes(values.size() * dtype_size(dtype));
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == KILN_DTYPE_FLOAT32) {
      const float f = static_cast<float>(values[i]);
      std::memcpy(bytes.data() + i * sizeof f, &f, sizeof f);
    } else if (dtype == KILN_DTYPE_FLOAT16) {
      const float16 h(static_cast<float>(values[i]));
      std::memcpy(bytes.data() + i * sizeof h, &h, sizeof h);
    } else {
      fail_invalid(std::string("cannot compute in ") + dtype_name(dtype));
    }
  }
  return bytes;
}

// A device copy of `values` in `dtype`.
inline DeviceBuffer upload_as(const std::vector<double>& values, kiln_dtype dtype) {
  const std::vector<uint8_t> bytes = narrowed(values, dtype);
  return DeviceBuffer(bytes.data(), bytes.size());
}

}  // namespace kiln::cuda

#endif  // KILN_CUDA_HOST_VALUES_HPP
