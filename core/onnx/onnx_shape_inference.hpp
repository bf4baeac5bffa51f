// ONNX's own shape inference over a model, as the first source of value types and shapes.
#ifndef KILN_CORE_ONNX_SHAPE_INFERENCE_HPP
#define KILN_CORE_ONNX_SHAPE_INFERENCE_HPP

#include <string>

namespace onnx {
class ModelProto;
}

namespace kiln {

// Adds what libonnx can infer to model.graph().value_info. Best effort: skipped for opsets newer than the
// library's schemas (whose answers could be wrong), and any failure leaves the model as it was; plugin shape
// functions fill in the rest during kernel selection.
void infer_onnx_shapes(onnx::ModelProto& model, const std::string& source);

}  // namespace kiln

#endif  // KILN_CORE_ONNX_SHAPE_INFERENCE_HPP
