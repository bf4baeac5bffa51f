#include "runtime/device_api.hpp"

#include "plugin/host_api.hpp"
#include "util/error.hpp"

namespace kiln {

void DeviceApi::check(kiln_status status, const std::string& what) const {
  if (status != KILN_OK) throw Error("device: " + what + " failed: " + take_plugin_error());
}

std::string DeviceApi::device_name() const {
  char name[256] = {0};
  check(api_->device_name(name, sizeof name), "reading the device name");
  return name;
}

DeviceApi::Memory DeviceApi::malloc(size_t bytes, const std::string& what) const {
  void* p = nullptr;
  check(api_->malloc(bytes, &p), "allocating " + std::to_string(bytes) + " bytes for " + what);
  return Memory(p, Free{api_});
}

DeviceApi::Stream DeviceApi::stream_create() const {
  void* s = nullptr;
  check(api_->stream_create(&s), "creating a stream");
  return Stream(s, StreamDeleter{api_});
}

DeviceApi::Event DeviceApi::event_create() const {
  void* e = nullptr;
  check(api_->event_create(&e), "creating an event");
  return Event(e, EventDeleter{api_});
}

void DeviceApi::synchronize(void* stream) const { check(api_->stream_synchronize(stream), "waiting for a stream"); }
void DeviceApi::record(void* event, void* stream) const { check(api_->event_record(event, stream), "recording an event"); }
void DeviceApi::wait(void* stream, void* event) const { check(api_->stream_wait_event(stream, event), "waiting on an event"); }

void DeviceApi::copy(void* dst, const void* src, size_t bytes, kiln_copy_direction direction, void* stream) const {
  if (bytes) check(api_->copy_async(dst, src, bytes, direction, stream), "copying " + std::to_string(bytes) + " bytes");
}

void DeviceApi::fill(void* dst, uint8_t byte, size_t bytes, void* stream) const {
  if (bytes) check(api_->fill_async(dst, byte, bytes, stream), "filling " + std::to_string(bytes) + " bytes");
}

void DeviceApi::capture_begin(void* stream) const { check(api_->capture_begin(stream), "starting a graph capture"); }

DeviceApi::Graph DeviceApi::capture_end(void* stream) const {
  void* g = nullptr;
  check(api_->capture_end(stream, &g), "ending a graph capture");
  return Graph(g, GraphDeleter{api_});
}

void DeviceApi::launch(void* graph, void* stream) const { check(api_->graph_launch(graph, stream), "launching a graph"); }

}  // namespace kiln
