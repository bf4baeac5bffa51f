// Constant inputs as the kernels read them in create: values (widened to double by the SDK's constant_doubles)
// narrowed to the dtype a kernel computes in, and uploaded to the device.
#ifndef KILN_CUDA_HOST_VALUES_HPP
#define KILN_CUDA_HOST_VALUES_HPP

#include <cstring>
#include <string>
#include <vector>

#include "common/device_buffer.hpp"
#include "kiln/fused.hpp"  // constant_doubles
#include "kiln/plugin.hpp"

namespace kiln::cuda {

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
