// ONNX model -> kiln IR. Parses the protobuf, loads initializers (external data confined to the model's
// folder), checks the graph's structure, and records what ONNX's shape inference knows of every value.
// Errors are kiln::Error naming the file, node, input and problem.
#ifndef KILN_CORE_ONNX_IMPORT_HPP
#define KILN_CORE_ONNX_IMPORT_HPP

#include <memory>
#include <string>

#include "ir/graph.hpp"

namespace onnx {
class ModelProto;
class TensorProto;
}  // namespace onnx

namespace kiln {

// Reads and imports `path`.
std::unique_ptr<Graph> import_onnx_file(const std::string& path);

// Imports a parsed model. `model_dir` resolves external data; `source` names the model in messages.
std::unique_ptr<Graph> import_onnx_model(onnx::ModelProto model, const std::string& model_dir,
                                         const std::string& source);

// A TensorProto's contents as a host Tensor (raw_data, typed fields or external data under `model_dir`).
// `what` names the tensor in messages.
Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& model_dir, const std::string& what);

// Reads a serialized TensorProto file (as in ONNX test data sets).
Tensor read_tensor_proto_file(const std::string& path);

}  // namespace kiln

#endif  // KILN_CORE_ONNX_IMPORT_HPP
