// Protobuf refuses messages over 64 MiB unless asked: a coded stream with a raised total-bytes limit lets
// models with large embedded weights parse, up to the format's own 2 GiB ceiling.
#include "onnx/protobuf_file.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/message_lite.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "util/error.hpp"

namespace kiln {

namespace {

// Closes the descriptor however parsing ends.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void check_is_readable_file(const std::string& path, int fd) {
  struct stat info {};
  if (fstat(fd, &info) != 0) throw Error(path + ": cannot read (" + std::strerror(errno) + ")");
  if (!S_ISREG(info.st_mode)) throw Error(path + ": not a regular file");
  if (info.st_size >= INT_MAX)
    throw Error(path + ": " + std::to_string(info.st_size) +
                " bytes is beyond protobuf's 2 GiB limit; store the weights as ONNX external data");
}

}  // namespace

bool parse_protobuf_file(const std::string& path, google::protobuf::MessageLite& message) {
  const FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  check_is_readable_file(path, fd.get());
  google::protobuf::io::FileInputStream file(fd.get());
  google::protobuf::io::CodedInputStream coded(&file);
  coded.SetTotalBytesLimit(INT_MAX);
  return message.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage() && file.GetErrno() == 0;
}

}  // namespace kiln
