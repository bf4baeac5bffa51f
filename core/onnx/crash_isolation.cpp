#include "onnx/crash_isolation.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>

namespace kiln {

namespace {

// Closes a pipe end however the call ends.
class Descriptor {
 public:
  explicit Descriptor(int fd = -1) : fd_(fd) {}
  ~Descriptor() { reset(); }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The child: default crash signals (so that a sanitizer's or fuzzer's handlers inherited from the parent do not
// report a crash that is contained), no core file, then `work`'s bytes behind their length.
[[noreturn]] void child_main(int fd, const std::function<std::string()>& work) {
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) signal(sig, SIG_DFL);
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  int status = 1;
  try {
    const std::string bytes = work();
    const uint64_t size = bytes.size();
    if (write_all(fd, reinterpret_cast<const char*>(&size), sizeof size) && write_all(fd, bytes.data(), bytes.size()))
      status = 0;
  } catch (...) {
  }
  _exit(status);  // no atexit handlers or static destructors: they belong to the parent
}

// Reads until end of file or the deadline; false on timeout or error.
bool read_until_eof(int fd, std::string& out, std::chrono::steady_clock::time_point deadline) {
  char buffer[65536];
  for (;;) {
    using std::chrono::milliseconds;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buffer, static_cast<size_t>(n));
  }
}

// True when the child exited with status 0. A parent that ignores SIGCHLD has no child to wait for (ECHILD):
// then the complete, length-checked message is the only evidence, and it suffices.
bool child_succeeded(pid_t pid) {
  int status = 0;
  pid_t waited;
  do waited = waitpid(pid, &status, 0);
  while (waited < 0 && errno == EINTR);
  if (waited < 0) return errno == ECHILD;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::optional<std::string> unframe(const std::string& message) {
  uint64_t size = 0;
  if (message.size() < sizeof size) return std::nullopt;
  std::memcpy(&size, message.data(), sizeof size);
  if (message.size() - sizeof size != size) return std::nullopt;
  return message.substr(sizeof size);
}

}  // namespace

std::optional<std::string> run_in_child_process(const std::function<std::string()>& work, int timeout_seconds) {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return std::nullopt;
  Descriptor read_end(ends[0]), write_end(ends[1]);
  const pid_t pid = fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    read_end.reset();
    child_main(write_end.get(), work);
  }
  write_end.reset();  // so that the child's exit is seen as end of file
  std::string message;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  const bool complete = read_until_eof(read_end.get(), message, deadline);
  if (!complete) kill(pid, SIGKILL);
  const bool succeeded = child_succeeded(pid);
  if (!complete || !succeeded) return std::nullopt;
  return unframe(message);
}

}  // namespace kiln
