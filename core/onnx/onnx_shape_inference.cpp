#include "onnx/onnx_shape_inference.hpp"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

namespace kiln {

namespace {

// The newest ai.onnx opset libonnx has schemas for.
int newest_known_opset() {
  const auto& map = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = map.find(onnx::ONNX_DOMAIN);
  return it == map.end() ? 0 : it->second.second;
}

}  // namespace

void infer_onnx_shapes(onnx::ModelProto& model, const std::string&) {
  for (const auto& opset : model.opset_import())
    if ((opset.domain().empty() || opset.domain() == "ai.onnx") && opset.version() > newest_known_opset()) return;
  onnx::ModelProto inferred = model;
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0, /*data_propagation=*/true);
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception&) {
    return;  // keep the model's own annotations
  }
  model.mutable_graph()->mutable_value_info()->Swap(inferred.mutable_graph()->mutable_value_info());
}

}  // namespace kiln
