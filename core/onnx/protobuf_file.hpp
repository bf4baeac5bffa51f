// Reading a serialized protobuf message (an ONNX model or tensor) from a file of any size protobuf can hold.
#ifndef KILN_CORE_ONNX_PROTOBUF_FILE_HPP
#define KILN_CORE_ONNX_PROTOBUF_FILE_HPP

#include <string>

namespace google::protobuf {
class MessageLite;
}

namespace kiln {

// Parses `path` into `message`. Throws kiln::Error when the file cannot be read or is larger than protobuf's
// 2 GiB limit; returns false when its bytes are not a valid `message` (truncated, or some other format).
bool parse_protobuf_file(const std::string& path, google::protobuf::MessageLite& message);

}  // namespace kiln

#endif  // KILN_CORE_ONNX_PROTOBUF_FILE_HPP
