// Running code that may crash (a third-party library fed untrusted input) in a child process, so that a crash or
// a hang costs its result, not kiln's process.
#ifndef KILN_CORE_ONNX_CRASH_ISOLATION_HPP
#define KILN_CORE_ONNX_CRASH_ISOLATION_HPP

#include <functional>
#include <optional>
#include <string>

namespace kiln {

// Forks; the child runs `work` on its copy of this process's memory and sends back the bytes it returns. Gives
// those bytes, or nothing when the child crashed, threw, exited early or ran past `timeout_seconds` (it is then
// killed). The child starts with one thread, the caller's: `work` must not need locks that other threads of this
// process could have held at the fork, nor touch shared state (files, sockets) the parent relies on.
std::optional<std::string> run_in_child_process(const std::function<std::string()>& work, int timeout_seconds);

}  // namespace kiln

#endif  // KILN_CORE_ONNX_CRASH_ISOLATION_HPP
