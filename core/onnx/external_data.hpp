// ONNX external data: a tensor whose bytes live in a separate file next to the model. The file must stay
// inside the model's folder, so a model cannot make kiln read arbitrary files.
#ifndef KILN_CORE_ONNX_EXTERNAL_DATA_HPP
#define KILN_CORE_ONNX_EXTERNAL_DATA_HPP

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace onnx {
class TensorProto;
}

namespace kiln {

// Where an external-data tensor's bytes are, once checked.
struct ExternalData {
  std::filesystem::path file;  // canonical, inside the model's folder
  uint64_t offset = 0;
};

// The file `location` names under `model_dir`, after resolving '..' and symlinks. Throws kiln::Error naming
// `what` and the location when it is absolute or resolves outside the folder.
std::filesystem::path confined_external_path(const std::string& location, const std::string& model_dir,
                                             const std::string& what);

// Reads `proto`'s external_data entries (location, offset, length; others ignored) and checks that `bytes` bytes
// can be read: the file is inside the folder, exists, is a regular file and is long enough, and 'length' (when
// given) equals `bytes`. Throws kiln::Error naming `what`, the location and the file otherwise.
ExternalData locate_external_data(const onnx::TensorProto& proto, const std::string& model_dir,
                                  const std::string& what, size_t bytes);

// Reads `bytes` bytes of a located tensor into `out`.
void read_external_data(const ExternalData& data, void* out, size_t bytes, const std::string& what);

}  // namespace kiln

#endif  // KILN_CORE_ONNX_EXTERNAL_DATA_HPP
