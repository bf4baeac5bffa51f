/*
 * kiln plugin ABI — the only contract between the kiln core and an operator pack.
 *
 * Pure C99. Nothing here is a C++ type; nothing that crosses it may throw.
 * A plugin library exports exactly one symbol, KILN_PLUGIN_ENTRY_NAME, of type kiln_plugin_entry_fn.
 *
 * Evolution rules (see docs/plugin-abi.md):
 *   - Every struct that crosses the boundary starts with `uint32_t struct_size` (and, for the two top-level
 *     tables, the ABI version). Readers check struct_size before touching a field added after v1.0.
 *   - Structs and function tables only grow at their end. Shipped fields never move, change type or meaning:
 *     the KILN_ABI_FROZEN_OFFSET checks at the bottom of this file make such a change a compile error.
 *   - A minor version adds fields or enum values; a major version breaks compatibility. The core refuses a
 *     plugin of another major version, and a plugin built against a newer minor version than the core's.
 *
 * History:
 *   1.0  first release: plugin entry, host API, kernel descriptor, fused patterns, prepared-state serialization.
 *   1.1  kernel flags KILN_KERNEL_IDENTITY, NO_FOLD, SHAPE_ONLY, CONCAT and STACKABLE; a pattern step's op_type may list
 *        alternatives separated by '|' ("Relu|Clip|Sigmoid").
 *   1.2  devices: kiln_device_api (memory, streams, events, copies, graph capture), offered by a pack through
 *        kiln_plugin_desc.device_api; kernel flag KILN_KERNEL_PRECISION_SENSITIVE; io flag KILN_IO_PREFERS_NHWC;
 *        host API tuning_get / tuning_put (the timing cache) and node_note (what a kernel decided, for inspect).
 *   1.3  quantization: kiln_value_info.quant_* (scales and zero points of int8/uint8 values and of float
 *        constants on an integer grid), so INT8 kernels read the scales of what they consume and produce;
 *        kernel flags KILN_KERNEL_QUANTIZED and KILN_KERNEL_QUANT_PASSTHROUGH.
 *   1.4  plan compatibility: kiln_plugin_desc.plan_compat_min, the oldest version of the pack whose plans this
 *        version still runs; the pack's version must be a semantic version MAJOR.MINOR.PATCH[-pre][+build].
 */
#ifndef KILN_PLUGIN_H
#define KILN_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_ABI_VERSION_MAJOR 1
#define KILN_ABI_VERSION_MINOR 4
#define KILN_MAKE_ABI_VERSION(major, minor) ((uint32_t)(((uint32_t)(major) << 16) | (uint32_t)(minor)))
#define KILN_ABI_VERSION KILN_MAKE_ABI_VERSION(KILN_ABI_VERSION_MAJOR, KILN_ABI_VERSION_MINOR)
#define KILN_ABI_MAJOR(version) ((uint32_t)(version) >> 16)
#define KILN_ABI_MINOR(version) ((uint32_t)(version)&0xFFFFu)

#define KILN_PLUGIN_ENTRY_NAME "kiln_plugin_entry"

#if defined(_WIN32)
#define KILN_PLUGIN_EXPORT __declspec(dllexport)
#else
#define KILN_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------------------------------------
 * Status codes. A function that fails returns one of these and, before returning, hands the message to
 * kiln_host_api.set_error (the core keeps it per thread and reports it with the node and plugin named).
 * ------------------------------------------------------------------------------------------------------- */
typedef int32_t kiln_status;
#define KILN_OK 0
#define KILN_ERROR_INVALID_ARGUMENT 1 /* the node or its inputs are malformed */
#define KILN_ERROR_UNSUPPORTED 2      /* a legal case this kernel does not implement */
#define KILN_ERROR_OUT_OF_MEMORY 3
#define KILN_ERROR_INTERNAL 4 /* a bug or an unexpected exception inside the plugin */
#define KILN_ERROR_NOT_FOUND 5 /* an attribute or input that is not there */
#define KILN_ERROR_TYPE_MISMATCH 6 /* an attribute asked for with the wrong type */
#define KILN_ERROR_BUFFER_TOO_SMALL 7

/* Element types: the same numbers as ONNX TensorProto.DataType, so import needs no table. */
typedef int32_t kiln_dtype;
#define KILN_DTYPE_UNDEFINED 0
#define KILN_DTYPE_FLOAT32 1
#define KILN_DTYPE_UINT8 2
#define KILN_DTYPE_INT8 3
#define KILN_DTYPE_UINT16 4
#define KILN_DTYPE_INT16 5
#define KILN_DTYPE_INT32 6
#define KILN_DTYPE_INT64 7
#define KILN_DTYPE_STRING 8
#define KILN_DTYPE_BOOL 9
#define KILN_DTYPE_FLOAT16 10
#define KILN_DTYPE_FLOAT64 11
#define KILN_DTYPE_UINT32 12
#define KILN_DTYPE_UINT64 13
#define KILN_DTYPE_BFLOAT16 16
#define KILN_DTYPE_BIT(dtype) ((uint64_t)1 << (dtype))
#define KILN_DTYPES_FLOAT (KILN_DTYPE_BIT(KILN_DTYPE_FLOAT32) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT16) | KILN_DTYPE_BIT(KILN_DTYPE_FLOAT64))
#define KILN_DTYPES_SIGNED_INT \
  (KILN_DTYPE_BIT(KILN_DTYPE_INT8) | KILN_DTYPE_BIT(KILN_DTYPE_INT16) | KILN_DTYPE_BIT(KILN_DTYPE_INT32) | KILN_DTYPE_BIT(KILN_DTYPE_INT64))
#define KILN_DTYPES_UNSIGNED_INT \
  (KILN_DTYPE_BIT(KILN_DTYPE_UINT8) | KILN_DTYPE_BIT(KILN_DTYPE_UINT16) | KILN_DTYPE_BIT(KILN_DTYPE_UINT32) | KILN_DTYPE_BIT(KILN_DTYPE_UINT64))
#define KILN_DTYPES_NUMERIC (KILN_DTYPES_FLOAT | KILN_DTYPES_SIGNED_INT | KILN_DTYPES_UNSIGNED_INT)
#define KILN_DTYPES_ALL (KILN_DTYPES_NUMERIC | KILN_DTYPE_BIT(KILN_DTYPE_BOOL))

/* Memory layouts of a tensor. LINEAR is ONNX's own: dense row-major over the logical dims. */
typedef int32_t kiln_layout;
#define KILN_LAYOUT_LINEAR 0
#define KILN_LAYOUT_NHWC 1 /* a 4-D NCHW tensor stored channels-last */
#define KILN_LAYOUT_BIT(layout) ((uint32_t)1 << (layout))

typedef int32_t kiln_device;
#define KILN_DEVICE_CPU 0
#define KILN_DEVICE_CUDA 1

/* Attribute kinds, as returned by kiln_host_api.attr_kind. */
typedef int32_t kiln_attr_kind;
#define KILN_ATTR_NONE 0 /* not present on the node */
#define KILN_ATTR_FLOAT 1
#define KILN_ATTR_INT 2
#define KILN_ATTR_STRING 3
#define KILN_ATTR_TENSOR 4
#define KILN_ATTR_GRAPH 5 /* present but not readable through this ABI version */
#define KILN_ATTR_FLOATS 6
#define KILN_ATTR_INTS 7
#define KILN_ATTR_STRINGS 8

#define KILN_LOG_ERROR 0
#define KILN_LOG_WARNING 1
#define KILN_LOG_INFO 2
#define KILN_LOG_DEBUG 3

/* Opaque handles owned by the core. */
typedef struct kiln_node kiln_node;               /* a graph node (or a fused chain of them) */
typedef struct kiln_infer_ctx kiln_infer_ctx;     /* one shape/type inference call */

/* A view of a tensor's memory. The core owns the memory; a kernel never frees it.
 * Inputs are read-only even though `data` is not const (one struct serves inputs and outputs). */
typedef struct kiln_tensor {
  uint32_t struct_size;
  kiln_dtype dtype;
  kiln_layout layout;
  kiln_device device;
  int32_t rank;
  const int64_t* dims;    /* `rank` logical dims */
  const int64_t* strides; /* in elements, per logical dim; NULL when dense row-major */
  void* data;             /* NULL for an omitted optional input, or when a dim is 0 */
} kiln_tensor;

/* What is known about a value while a graph is being built, or for one inference call.
 * Unknown dims are -1; an unknown rank is -1. `data` is set when the value's contents are known on the host:
 * an initializer, a Constant, or (during run-time inference) any input of a CPU node. */
typedef struct kiln_value_info {
  uint32_t struct_size;
  kiln_dtype dtype; /* KILN_DTYPE_UNDEFINED for an omitted optional input */
  kiln_layout layout;
  int32_t rank;
  const int64_t* dims;
  const void* data;
  const char* name; /* the ONNX value name, for messages */
  /* (1.3) Quantization: an int8/uint8 value whose integers q stand for the reals (q - zero_point) * scale
   * (docs/quantization.md). quant_count is 0 for a value that is not quantized, 1 for one scale and zero point
   * for the whole tensor (quant_axis -1), or the size of dim quant_axis for one per slice along it (per-channel
   * weights). A float constant may carry them too: its values are then exactly (q - zero_point) * scale for
   * integers q in the zero point's type (a DequantizeLinear of quantized weights, folded), so a kernel can
   * recover q without re-deriving scales. Zero points are int8 or uint8 values widened to int32. */
  int32_t quant_axis;
  int64_t quant_count;
  const float* quant_scales;
  const int32_t* quant_zero_points;
  kiln_dtype quant_dtype; /* the integer type q has: KILN_DTYPE_INT8 or KILN_DTYPE_UINT8 */
} kiln_value_info;

/* The host API: what the core offers a plugin. Handed to the entry point; valid until the library is closed.
 * Functions returning kiln_status never throw and leave their outputs untouched on failure. */
typedef struct kiln_host_api {
  uint32_t struct_size;
  uint32_t abi_version; /* KILN_ABI_VERSION of the core */

  /* Logging and errors. set_error records `message` for the calling thread and returns `status`,
   * so a kernel can write `return host->set_error(KILN_ERROR_UNSUPPORTED, "...");`. */
  void (*log)(int32_t level, const char* message);
  kiln_status (*set_error)(kiln_status status, const char* message);

  /* The node being checked, inferred or created. Strings stay valid for the node's lifetime. */
  const char* (*node_name)(const kiln_node* node);
  const char* (*node_op_type)(const kiln_node* node);
  const char* (*node_domain)(const kiln_node* node); /* "" for ai.onnx */
  int32_t (*node_opset)(const kiln_node* node);      /* opset version of the node's domain in the model */
  int32_t (*node_num_inputs)(const kiln_node* node); /* positions, omitted optional ones included */
  int32_t (*node_num_outputs)(const kiln_node* node);
  /* What the graph knows of input/output `index` (static shapes, constant data). */
  kiln_status (*node_input)(const kiln_node* node, int32_t index, kiln_value_info* out);
  kiln_status (*node_output)(const kiln_node* node, int32_t index, kiln_value_info* out);

  /* Attributes by name. Each getter returns KILN_ERROR_NOT_FOUND when absent and KILN_ERROR_TYPE_MISMATCH when
   * present with another kind. Arrays stay valid for the node's lifetime. */
  kiln_attr_kind (*attr_kind)(const kiln_node* node, const char* name);
  kiln_status (*attr_int)(const kiln_node* node, const char* name, int64_t* out);
  kiln_status (*attr_float)(const kiln_node* node, const char* name, float* out);
  kiln_status (*attr_string)(const kiln_node* node, const char* name, const char** out, size_t* length);
  kiln_status (*attr_ints)(const kiln_node* node, const char* name, const int64_t** out, size_t* count);
  kiln_status (*attr_floats)(const kiln_node* node, const char* name, const float** out, size_t* count);
  kiln_status (*attr_strings_count)(const kiln_node* node, const char* name, size_t* count);
  kiln_status (*attr_strings_at)(const kiln_node* node, const char* name, size_t index, const char** out,
                                 size_t* length);
  kiln_status (*attr_tensor)(const kiln_node* node, const char* name, kiln_tensor* out);

  /* For a node that stands for a fused pattern: the original node matched by pattern step `step`, whose
   * attributes and inputs can be read with the functions above. NULL when out of range or not fused. */
  const kiln_node* (*node_pattern_step)(const kiln_node* node, int32_t step);

  /* Shape/type inference: what is known of input `index` for this call, and the result for output `index`.
   * dims may hold -1 where a dim cannot be known yet (build time, data-dependent shapes). */
  kiln_status (*infer_input)(const kiln_infer_ctx* ctx, int32_t index, kiln_value_info* out);
  kiln_status (*infer_set_output)(kiln_infer_ctx* ctx, int32_t index, kiln_dtype dtype, int32_t rank,
                                  const int64_t* dims);

  /* (1.2) The timing cache. A kernel that times alternatives while it is created (cuDNN algorithms, GEMM
   * heuristics) looks its key up first and stores the winner after; the core keeps the entries in the file the
   * config's `tuning: {cache: ...}` names, so a later build skips the timing. A key should name everything the
   * result depends on: kernel, shapes, dtypes, layouts, device name. tuning_get returns NULL for an unknown key;
   * the string stays valid until the next call from the same thread. */
  const char* (*tuning_get)(const char* key);
  void (*tuning_put)(const char* key, const char* value);
  /* (1.2) A line about what the kernel decided for `node` and why ("algo 1: 0.041 ms, beat 5 others"), kept in
   * the plan and shown by `kiln inspect`. Only while the node is checked or created. */
  void (*node_note)(const kiln_node* node, const char* text);
} kiln_host_api;

/* Everything a kernel's execute sees. Outputs are allocated by the core with the shapes inference gave. */
typedef struct kiln_exec_ctx {
  uint32_t struct_size;
  int32_t num_inputs;
  const kiln_tensor* inputs;
  int32_t num_outputs;
  const kiln_tensor* outputs;
  void* workspace; /* workspace_size() bytes, 64-byte aligned; NULL when 0 */
  size_t workspace_bytes;
  void* stream; /* device stream (cudaStream_t on CUDA); NULL on CPU */
} kiln_exec_ctx;

/* What a kernel accepts at one input or output position. */
typedef struct kiln_io_spec {
  uint64_t dtypes;  /* KILN_DTYPE_BIT mask */
  uint32_t layouts; /* KILN_LAYOUT_BIT mask */
  uint32_t flags;   /* KILN_IO_* */
} kiln_io_spec;
#define KILN_IO_OPTIONAL 1u      /* the position may be omitted */
#define KILN_IO_VARIADIC 2u      /* the last spec repeats for any number of further positions */
#define KILN_IO_HOST_MEMORY 4u   /* the kernel reads this input on the host even when it runs on a device */
#define KILN_IO_PREFERS_NHWC 8u  /* (1.2) the kernel runs faster with this 4-D position channels-last: the builder
                                    stores a value NHWC when one of its kernels prefers it and all accept it */

/* One step of a fused pattern: a chain p[0] -> p[1] -> ... where step k>0 consumes the single output of step
 * k-1 at input position `chained_input` (-1: at any position). A fused node's inputs are, in order, the inputs
 * of each step that are not the chained one. The core matches patterns, asks `check` of the fused node, and
 * then hands it to `create`. */
typedef struct kiln_pattern_step {
  const char* domain; /* "" for ai.onnx */
  const char* op_type; /* from 1.1, may list alternatives: "Relu|Clip|Sigmoid" */
  int32_t chained_input;
  uint32_t flags; /* KILN_PATTERN_* */
} kiln_pattern_step;
#define KILN_PATTERN_OPTIONAL 1u /* the step may be absent from a match */

/* Kernel flags. */
#define KILN_KERNEL_STRIDED_OUTPUT 1u /* execute honours kiln_tensor.strides on its outputs */
#define KILN_KERNEL_INPLACE_0 2u      /* output 0 may share memory with input 0 */
#define KILN_KERNEL_IDENTITY 4u       /* (1.1) for a node its check accepts, output 0 equals input 0 (Identity,
                                         inference-mode Dropout): the builder removes the node */
#define KILN_KERNEL_NO_FOLD 8u        /* (1.1) never constant-fold (random or stateful ops) */
#define KILN_KERNEL_SHAPE_ONLY 16u    /* (1.1) outputs depend on the inputs' shapes, never their data (Shape,
                                         Size): the builder folds the node once its input shapes are fixed */
#define KILN_KERNEL_CONCAT 32u        /* (1.1) output 0 is the inputs laid end to end along the node's int
                                         attribute 'axis' (negative counts from the end): when the inputs'
                                         producers declare STRIDED_OUTPUT, the builder has them write straight
                                         into their slices and the node does nothing at run time */
#define KILN_KERNEL_STACKABLE 64u     /* (1.1) siblings that read the same input 0 and agree in all else, their
                                         other inputs (and their fused steps') constants of rank >= 1, may merge
                                         into one node: each constant stacked along axis 0, one output per
                                         sibling (its output 0), and an INTS attribute "kiln_stack" giving each
                                         sibling's axis-0 size of its first constant input. The kernel computes
                                         once and splits its result into the outputs (its check may decline) */
#define KILN_KERNEL_PRECISION_SENSITIVE 128u /* (1.2) loses accuracy in reduced precision (softmax, normalization
                                         reductions): with `precision: fp16` the builder keeps its float values
                                         fp32 unless the config's layer_precisions names the node */
#define KILN_KERNEL_QUANTIZED 256u    /* (1.3) an INT8 kernel: reads the quantization parameters of the int8/uint8
                                         values it consumes and produces (kiln_value_info.quant_*). Only kernels
                                         with this flag or QUANT_PASSTHROUGH are given quantized activations */
#define KILN_KERNEL_QUANT_PASSTHROUGH 512u /* (1.3) computes on integers exactly what it computes on the reals they
                                         stand for when its quantized inputs and outputs share one scale and zero
                                         point (data movement, max pooling): the builder gives them the same */

/* A kernel: one implementation of one op (or one fused pattern) on one device.
 * Hooks marked (optional) may be NULL. Every hook reports failure by status + set_error and never throws. */
typedef struct kiln_kernel_desc {
  uint32_t struct_size;
  const char* name;    /* unique across all loaded plugins, e.g. "kiln.cpu_ref.Conv" */
  const char* domain;  /* "" for ai.onnx; for a fused pattern, the domain of its first step */
  const char* op_type; /* for a fused pattern, a name for the whole, e.g. "ConvBiasRelu" */
  int32_t opset_min;   /* inclusive range of the domain's opset versions it implements */
  int32_t opset_max;
  kiln_device device;
  uint32_t flags; /* KILN_KERNEL_* */
  int32_t num_input_specs;
  const kiln_io_spec* inputs;
  int32_t num_output_specs;
  const kiln_io_spec* outputs;
  int32_t pattern_length; /* 0 for a plain kernel */
  const kiln_pattern_step* pattern;
  void* user_data; /* passed back to every hook below */

  /* (optional) Accept or decline a node the core matched by op, opset, device, dtypes and layouts.
   * Return KILN_OK to accept; KILN_ERROR_UNSUPPORTED to decline, with a human-readable reason written into
   * `reason` (NUL-terminated, at most `capacity` bytes). Any other status is an error. */
  kiln_status (*check)(void* user_data, const kiln_host_api* host, const kiln_node* node, char* reason,
                       size_t capacity);
  /* (optional for ai.onnx ops, which ONNX can infer; mandatory otherwise) Output dtypes and shapes from the
   * inputs' dtypes, shapes and, when known, data. Called at build time and, for data-dependent shapes, at run
   * time. */
  kiln_status (*infer)(void* user_data, const kiln_host_api* host, const kiln_node* node, kiln_infer_ctx* ctx);
  /* Prepare a node once (validate attributes, pack constant weights) into an opaque state. */
  kiln_status (*create)(void* user_data, const kiln_host_api* host, const kiln_node* node, void** state);
  /* (optional) Scratch bytes execute needs for these input shapes; 0 when NULL. */
  kiln_status (*workspace_size)(void* state, const kiln_exec_ctx* shapes, size_t* bytes);
  kiln_status (*execute)(void* state, const kiln_exec_ctx* ctx);
  void (*destroy)(void* state);
  /* (optional) Prepared state to bytes and back, for plan files. serialize with buffer NULL reports the size. */
  kiln_status (*serialize)(void* state, void* buffer, size_t capacity, size_t* written);
  kiln_status (*deserialize)(void* user_data, const kiln_host_api* host, const kiln_node* node, const void* bytes,
                             size_t length, void** state);
} kiln_kernel_desc;

/* ---------------------------------------------------------------------------------------------------------
 * (1.2) A device: what a pack that brings one (the CUDA pack) offers the core, so that the core can plan and
 * run device memory, streams and copies without linking any vendor library. Streams, events and graphs are
 * opaque handles (cudaStream_t, cudaEvent_t, cudaGraphExec_t on CUDA). Every call acts on the calling thread's
 * current device. Failures return a status after set_error, as kernels do.
 * ------------------------------------------------------------------------------------------------------- */
typedef int32_t kiln_copy_direction;
#define KILN_COPY_HOST_TO_DEVICE 1
#define KILN_COPY_DEVICE_TO_HOST 2
#define KILN_COPY_DEVICE_TO_DEVICE 3

typedef struct kiln_device_api {
  uint32_t struct_size;
  kiln_device device; /* which kiln_device this is, e.g. KILN_DEVICE_CUDA */
  /* How many devices are usable (0 without a driver or a GPU: the caller skips device work). Never fails. */
  int32_t (*device_count)(void);
  /* The current device's name, NUL-terminated, e.g. "NVIDIA H100 80GB HBM3". */
  kiln_status (*device_name)(char* buffer, size_t capacity);

  kiln_status (*malloc)(size_t bytes, void** ptr); /* device memory, at least 256-byte aligned */
  void (*free)(void* ptr);
  kiln_status (*host_malloc)(size_t bytes, void** ptr); /* page-locked host memory, for fast async copies */
  void (*host_free)(void* ptr);

  kiln_status (*stream_create)(void** stream);
  void (*stream_destroy)(void* stream);
  kiln_status (*stream_synchronize)(void* stream);
  kiln_status (*event_create)(void** event); /* for ordering only: no timing */
  void (*event_destroy)(void* event);
  kiln_status (*event_record)(void* event, void* stream);
  kiln_status (*stream_wait_event)(void* stream, void* event); /* later work on `stream` waits for `event` */

  kiln_status (*copy_async)(void* dst, const void* src, size_t bytes, kiln_copy_direction direction, void* stream);
  kiln_status (*fill_async)(void* dst, uint8_t byte, size_t bytes, void* stream);

  /* Graph capture: the work enqueued on `stream` (and on streams that wait on its events) between begin and end
   * becomes one graph, which graph_launch replays. */
  kiln_status (*capture_begin)(void* stream);
  kiln_status (*capture_end)(void* stream, void** graph);
  kiln_status (*graph_launch)(void* graph, void* stream);
  void (*graph_destroy)(void* graph);
} kiln_device_api;

/* What a plugin library declares about itself. Static storage in the plugin; valid until it is unloaded. */
typedef struct kiln_plugin_desc {
  uint32_t struct_size;
  uint32_t abi_version; /* KILN_ABI_VERSION the plugin was compiled against */
  const char* name;     /* e.g. "kiln.cpu_reference" */
  const char* version;  /* the pack's own version, semver "1.2.0" (required to be one from 1.4) */
  const char* description;
  int32_t num_kernels;
  const kiln_kernel_desc* const* kernels;
  const kiln_device_api* device_api; /* (1.2) NULL unless the pack brings a device its kernels run on */
  /* (1.4) the oldest version of this pack whose plans this version still runs: its serialized prepared state
   * has not changed since. A plan built with version X loads with this version V when X == V, or when
   * plan_compat_min <= X <= V by semver precedence. NULL (or a plugin built before 1.4) means only plans
   * built with exactly this version. Must be a semver no newer than `version`. */
  const char* plan_compat_min;
} kiln_plugin_desc;

/* The one exported symbol. Returns NULL on failure (after host->set_error). Called once per load. */
typedef const kiln_plugin_desc* (*kiln_plugin_entry_fn)(const kiln_host_api* host);

/* ---------------------------------------------------------------------------------------------------------
 * Frozen layout of what shipped. Each line pins a field's offset on LP64 targets; changing, reordering or
 * removing a shipped field fails to compile. New fields go at the end of a struct, with a new line here.
 * (A negative array size is the C99 way to make a compile-time assertion.)
 * ------------------------------------------------------------------------------------------------------- */
#define KILN_ABI_FROZEN_OFFSET(type, field, offset) \
  typedef char kiln_frozen_##type##_##field[(offsetof(type, field) == (offset)) ? 1 : -1]
#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
/* v1.0 */
KILN_ABI_FROZEN_OFFSET(kiln_tensor, data, 40);
KILN_ABI_FROZEN_OFFSET(kiln_value_info, name, 32);
KILN_ABI_FROZEN_OFFSET(kiln_host_api, abi_version, 4);
KILN_ABI_FROZEN_OFFSET(kiln_host_api, log, 8);
KILN_ABI_FROZEN_OFFSET(kiln_host_api, node_input, 72);
KILN_ABI_FROZEN_OFFSET(kiln_host_api, attr_tensor, 152);
KILN_ABI_FROZEN_OFFSET(kiln_host_api, infer_set_output, 176);
KILN_ABI_FROZEN_OFFSET(kiln_exec_ctx, stream, 48);
KILN_ABI_FROZEN_OFFSET(kiln_kernel_desc, flags, 44);
KILN_ABI_FROZEN_OFFSET(kiln_kernel_desc, pattern, 88);
KILN_ABI_FROZEN_OFFSET(kiln_kernel_desc, check, 104);
KILN_ABI_FROZEN_OFFSET(kiln_kernel_desc, deserialize, 160);
KILN_ABI_FROZEN_OFFSET(kiln_plugin_desc, kernels, 40);
/* v1.2 */
KILN_ABI_FROZEN_OFFSET(kiln_host_api, tuning_get, 184);
KILN_ABI_FROZEN_OFFSET(kiln_host_api, node_note, 200);
KILN_ABI_FROZEN_OFFSET(kiln_plugin_desc, device_api, 48);
KILN_ABI_FROZEN_OFFSET(kiln_device_api, malloc, 24);
KILN_ABI_FROZEN_OFFSET(kiln_device_api, graph_destroy, 152);
/* v1.3 */
KILN_ABI_FROZEN_OFFSET(kiln_value_info, quant_axis, 40);
KILN_ABI_FROZEN_OFFSET(kiln_value_info, quant_zero_points, 64);
KILN_ABI_FROZEN_OFFSET(kiln_value_info, quant_dtype, 72);
/* v1.4 */
KILN_ABI_FROZEN_OFFSET(kiln_plugin_desc, plan_compat_min, 56);
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_PLUGIN_H */
