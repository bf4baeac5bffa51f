// ONNX's own shape inference (libonnx 1.12) over a model, as the first source of value types and shapes.
// Best effort: what it cannot infer stays unknown, and plugin shape functions fill in the rest later.
#ifndef KILN_CORE_ONNX_SHAPE_INFERENCE_HPP
#define KILN_CORE_ONNX_SHAPE_INFERENCE_HPP

#include <map>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace kiln {

// The type libonnx infers for each value of the main graph that it knows something about (inputs excepted).
//
// Runs on a light copy of `model` (initializers over a few KiB are copied without their data, which shape
// computations never need), with the nodes in `node_order` (indices into model.graph().node(), producers first)
// and data propagation on. libonnx 1.12 knows schemas up to ai.onnx opset 17 and has known faults, so nodes it
// would get wrong or crash on are hidden from it: ops whose shape rules changed in opsets it does not know, pools
// with ceil_mode (it lets a last window start in the padding), and nodes its schema rejects. Values no node gives
// a type get an empty tensor type first, because some 1.12 data propagators dereference a missing input type.
// libonnx runs in a child process (it reads out of bounds on some invalid attribute values): a crash or a hang
// there only loses the inference. Never throws: any failure just yields fewer types. `model` is left as it was.
std::map<std::string, onnx::TypeProto> infer_value_types(onnx::ModelProto& model, const std::vector<int>& node_order);

}  // namespace kiln

#endif  // KILN_CORE_ONNX_SHAPE_INFERENCE_HPP
