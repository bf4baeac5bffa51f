/* A plugin in plain C99, compiled against the frozen ABI v1.0 headers (tests/abi/v1_0): the op
 * kiln.test::Scale, y = alpha * x for float32, with its own shape function (ONNX does not know the op). */
#include <stddef.h>
#include <stdlib.h>

#include "kiln/plugin.h"

typedef struct scale_state {
  float alpha;
} scale_state;

static kiln_status scale_infer(void* user_data, const kiln_host_api* host, const kiln_node* node, kiln_infer_ctx* ctx) {
  kiln_value_info x;
  (void)user_data;
  (void)node;
  x.struct_size = sizeof x;
  if (host->infer_input(ctx, 0, &x) != KILN_OK) return host->set_error(KILN_ERROR_INVALID_ARGUMENT, "Scale: no input");
  return host->infer_set_output(ctx, 0, x.dtype, x.rank, x.dims);
}

static kiln_status scale_create(void* user_data, const kiln_host_api* host, const kiln_node* node, void** state) {
  scale_state* s;
  float alpha = 1.0f;
  (void)user_data;
  if (host->attr_kind(node, "alpha") != KILN_ATTR_NONE && host->attr_float(node, "alpha", &alpha) != KILN_OK)
    return host->set_error(KILN_ERROR_INVALID_ARGUMENT, "Scale: attribute 'alpha' must be a float");
  s = (scale_state*)malloc(sizeof *s);
  if (!s) return host->set_error(KILN_ERROR_OUT_OF_MEMORY, "Scale: out of memory");
  s->alpha = alpha;
  *state = s;
  return KILN_OK;
}

static kiln_status scale_execute(void* state, const kiln_exec_ctx* ctx) {
  const scale_state* s = (const scale_state*)state;
  const kiln_tensor* x = &ctx->inputs[0];
  const kiln_tensor* y = &ctx->outputs[0];
  const float* in = (const float*)x->data;
  float* out = (float*)y->data;
  int64_t n = 1, i;
  int32_t d;
  for (d = 0; d < x->rank; ++d) n *= x->dims[d];
  for (i = 0; i < n; ++i) out[i] = s->alpha * in[i];
  return KILN_OK;
}

static void scale_destroy(void* state) { free(state); }

static const kiln_io_spec kFloatOnly[1] = {{KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32), KILN_LAYOUT_BIT(KILN_LAYOUT_LINEAR), 0}};

static const kiln_kernel_desc kScale = {
    sizeof(kiln_kernel_desc), "kiln.test.c_scale", "kiln.test", "Scale", 1, 1, KILN_DEVICE_CPU, 0,
    1, kFloatOnly, 1, kFloatOnly, 0, NULL, NULL,
    NULL, scale_infer, scale_create, NULL, scale_execute, scale_destroy, NULL, NULL};

static const kiln_kernel_desc* const kKernels[1] = {&kScale};

static kiln_plugin_desc g_desc;

KILN_PLUGIN_EXPORT const kiln_plugin_desc* kiln_plugin_entry(const kiln_host_api* host) {
  (void)host;
  g_desc.struct_size = sizeof g_desc;
  g_desc.abi_version = KILN_ABI_VERSION;
  g_desc.name = "kiln.test.frozen_v1";
  g_desc.version = "1.0.0";
  g_desc.description = "a C plugin built against the frozen ABI v1.0 headers";
  g_desc.num_kernels = 1;
  g_desc.kernels = kKernels;
  return &g_desc;
}
