// A device pack on a machine without its device: a kiln_device_api whose device_count() is 0 (as the CUDA pack's
// is without a driver or GPU) and one device kernel. `kiln plugin check` must skip the kernel, saying "no GPU",
// and exit 0 (tests/plugin_check/plugin_check.sh), which is what the kiln_cuda check relies on here.
#include "kiln/plugin.hpp"

namespace {

kiln_status no_device(const char* what) {
  const kiln_host_api* host = kiln::host_api();
  return host ? host->set_error(KILN_ERROR_UNSUPPORTED, what) : KILN_ERROR_UNSUPPORTED;
}

int32_t device_count() { return 0; }
kiln_status device_name(char*, size_t) { return no_device("no device"); }
kiln_status device_malloc(size_t, void**) { return no_device("no device memory"); }
void device_free(void*) {}
kiln_status host_malloc(size_t, void**) { return no_device("no pinned memory"); }
void host_free(void*) {}
kiln_status stream_create(void**) { return no_device("no streams"); }
void stream_destroy(void*) {}
kiln_status stream_synchronize(void*) { return no_device("no streams"); }
kiln_status event_create(void**) { return no_device("no events"); }
void event_destroy(void*) {}
kiln_status event_record(void*, void*) { return no_device("no events"); }
kiln_status stream_wait_event(void*, void*) { return no_device("no events"); }
kiln_status copy_async(void*, const void*, size_t, kiln_copy_direction, void*) { return no_device("no copies"); }
kiln_status fill_async(void*, uint8_t, size_t, void*) { return no_device("no fills"); }
kiln_status capture_begin(void*) { return no_device("no graphs"); }
kiln_status capture_end(void*, void**) { return no_device("no graphs"); }
kiln_status graph_launch(void*, void*) { return no_device("no graphs"); }
void graph_destroy(void*) {}

const kiln_device_api kNoDevice = {
    sizeof(kiln_device_api), KILN_DEVICE_CUDA, &device_count,  &device_name,     &device_malloc,
    &device_free,            &host_malloc,     &host_free,     &stream_create,   &stream_destroy,
    &stream_synchronize,     &event_create,    &event_destroy, &event_record,    &stream_wait_event,
    &copy_async,             &fill_async,      &capture_begin, &capture_end,     &graph_launch,
    &graph_destroy};

struct DeviceRelu {
  static kiln::KernelSpec spec() {
    kiln::KernelSpec s;
    s.name = "kiln.test.no_gpu.Relu";
    s.op_type = "Relu";
    s.opset_min = 6;
    s.device = KILN_DEVICE_CUDA;
    s.inputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    s.outputs = {kiln::io(KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32))};
    return s;
  }
  explicit DeviceRelu(const kiln::Node&) {}
  void execute(kiln::ExecContext&) { kiln::fail_invalid("never runs: there is no device"); }
};

const kiln::KernelFactory kKernels[] = {&kiln::describe<DeviceRelu>};

}  // namespace

KILN_DEFINE_DEVICE_PLUGIN("kiln.test.no_gpu", "1.0.0", "a device pack without its device", kKernels, &kNoDevice)
