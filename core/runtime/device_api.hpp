// The C++ face of a pack's kiln_device_api: each call checked, a failure thrown as kiln::Error with the pack's
// message, and the handles it hands out owned by RAII types so that no error path leaks device memory.
#ifndef KILN_CORE_DEVICE_API_HPP
#define KILN_CORE_DEVICE_API_HPP

#include <memory>
#include <string>

#include "kiln/plugin.h"

namespace kiln {

class DeviceApi {
 public:
  explicit DeviceApi(const kiln_device_api* api) : api_(api) {}
  const kiln_device_api* raw() const { return api_; }

  int device_count() const { return api_->device_count(); }
  std::string device_name() const;

  struct Free {
    const kiln_device_api* api;
    void operator()(void* p) const {
      if (p) api->free(p);
    }
  };
  using Memory = std::unique_ptr<void, Free>;
  Memory malloc(size_t bytes, const std::string& what) const;

  struct StreamDeleter {
    const kiln_device_api* api;
    void operator()(void* s) const {
      if (s) api->stream_destroy(s);
    }
  };
  using Stream = std::unique_ptr<void, StreamDeleter>;
  Stream stream_create() const;

  struct EventDeleter {
    const kiln_device_api* api;
    void operator()(void* e) const {
      if (e) api->event_destroy(e);
    }
  };
  using Event = std::unique_ptr<void, EventDeleter>;
  Event event_create() const;

  struct GraphDeleter {
    const kiln_device_api* api;
    void operator()(void* g) const {
      if (g) api->graph_destroy(g);
    }
  };
  using Graph = std::unique_ptr<void, GraphDeleter>;

  void synchronize(void* stream) const;
  void record(void* event, void* stream) const;
  void wait(void* stream, void* event) const;
  void copy(void* dst, const void* src, size_t bytes, kiln_copy_direction direction, void* stream) const;
  void fill(void* dst, uint8_t byte, size_t bytes, void* stream) const;
  void capture_begin(void* stream) const;
  Graph capture_end(void* stream) const;
  void launch(void* graph, void* stream) const;

 private:
  void check(kiln_status status, const std::string& what) const;
  const kiln_device_api* api_;
};

}  // namespace kiln

#endif  // KILN_CORE_DEVICE_API_HPP
