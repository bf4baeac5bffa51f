// The CUDA device as the core sees it through the ABI (kiln_device_api): memory, streams, events, copies and
// CUDA graph capture, so that the core plans and runs device work without linking the CUDA runtime.
#ifndef KILN_CUDA_DEVICE_API_HPP
#define KILN_CUDA_DEVICE_API_HPP

#include "kiln/plugin.h"

namespace kiln::cuda {

const kiln_device_api* device_api();

}  // namespace kiln::cuda

#endif  // KILN_CUDA_DEVICE_API_HPP
