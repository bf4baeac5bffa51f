// libFuzzer target: arbitrary bytes as an ONNX model must import or fail with kiln::Error, never crash.
#include <onnx/onnx_pb.h>

#include <cstddef>
#include <cstdint>

#include "onnx/onnx_import.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size))) return 0;
  try {
    kiln::import_onnx_model(std::move(model), "/nonexistent-fuzz-dir", "fuzz.onnx");
  } catch (const kiln::Error&) {
  }
  return 0;
}
