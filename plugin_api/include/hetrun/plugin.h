/*
 * hetrun plugin ABI, version 1.
 *
 * The contract between the hetrun host (partitioner + runtime) and a backend plugin: a shared library
 * that exports ONE symbol, `hetrun_plugin_query`, returning a table of function pointers. This header is
 * pure C99, includes only <stddef.h> and <stdint.h>, and is all a plugin author needs: a plugin never
 * links against hetrun. docs/writing-a-plugin.md walks through a complete plugin.
 *
 * Lifecycle, as the host drives it:
 *
 *   const hetrun_plugin_v1* p = hetrun_plugin_query(HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR);
 *   void* self;            p->init(&host_services, &self);
 *   uint32_t n;            p->device_count(self, &n);
 *   hetrun_device_info i;  p->device_info(self, 0, &i);             // name, kind, memory, speed
 *   hetrun_device_t dev;   p->device_open(self, 0, &options, &dev);
 *   p->query_support(dev, &graph_view, supports);                   // one answer per node
 *   hetrun_executable_t exe;  p->compile(dev, &part_view, &exe);    // the plugin's own code generator
 *   hetrun_buffer_t buf;      p->buffer_alloc(dev, bytes, &buf);
 *   p->buffer_write(dev, buf, 0, host_ptr, bytes);
 *   hetrun_event_t done;      p->execute(exe, ins, n_in, outs, n_out, waits, n_wait, &done);
 *   p->event_wait(dev, done, timeout_ms);   p->event_release(dev, done);
 *   p->buffer_read(dev, out_buf, 0, host_ptr, bytes);
 *   p->buffer_release(dev, buf);  p->executable_release(exe);  p->device_close(dev);
 *   p->shutdown(self);     // only now may the host unload the library
 *
 * Rules that hold for every function below unless its comment says otherwise:
 *  - Errors: every fallible call returns hetrun_status_t; NULL means success. A plugin makes a status
 *    only through host->status_create(), so the host owns and frees it. Out-parameters are left
 *    untouched when a call fails. No C++ exception may cross this boundary.
 *  - Ownership: a handle returned through `out_*` is owned by the caller and released with the matching
 *    *_release / *_close function, which returns void and accepts NULL. Strings and arrays a plugin
 *    returns are borrowed: valid until shutdown() unless stated; the host copies what it keeps.
 *  - Graph views passed in are owned by the host and valid only during the call, EXCEPT constant
 *    tensor data (hetrun_value.data), which stays valid until every executable compiled from the view
 *    has been released: plugins may use weights in place without copying them.
 *  - Threading: the host may call any function from any thread. Calls on different devices may run
 *    concurrently. execute() on one executable may be called concurrently by several threads.
 *  - Growth: within major version 1, tables and structs only grow at the end. A struct the host fills
 *    carries struct_size so the plugin can tell what is present; the host calls a table slot only if
 *    the plugin's struct_size covers it and the slot is non-NULL. Slots marked "Optional" may be NULL.
 */
#ifndef HETRUN_PLUGIN_H_
#define HETRUN_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HETRUN_ABI_MAJOR 1u
/* Minor 1 added: packed values, i.e. HETRUN_DTYPE_SEQUENCE / HETRUN_DTYPE_OPTIONAL values and
 * HETRUN_DTYPE_STRING tensors (see the data types below), and the HETRUN_PLUGIN_PACKED_VALUES
 * capability flag; and
 * hetrun_device_options.cache_dir (a directory where the plugin may keep compiled code).
 * Minor 2 added tuning: hetrun_tunable, hetrun_tuning_value and the table's list_tunables,
 * compile_tuned and event_elapsed_us (see "Tuning" below).
 * Minor 3 added per-node profiling: hetrun_device_options.profile_nodes, hetrun_node_time and the
 * table's event_node_times. */
#define HETRUN_ABI_MINOR 3u

/* Export macro for the one entry symbol (plugins are built with hidden visibility). */
#if defined(_WIN32)
#define HETRUN_PLUGIN_EXPORT __declspec(dllexport)
#else
#define HETRUN_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* The entry symbol's name, for loaders. */
#define HETRUN_PLUGIN_ENTRY_SYMBOL "hetrun_plugin_query"

/* Largest tensor rank that crosses the boundary in hetrun_tensor_arg. */
#define HETRUN_MAX_RANK 16u

/*===-- Status ----------------------------------------------------------------------------------===*/

/* Opaque status, made by the host (host->status_create). NULL == success. */
typedef struct hetrun_status_s* hetrun_status_t;

/* Status codes (uint32_t, fixed values; never renumbered). */
typedef uint32_t hetrun_status_code_t;
#define HETRUN_STATUS_OK 0u
#define HETRUN_STATUS_INVALID_ARGUMENT 1u  /* the caller passed something wrong */
#define HETRUN_STATUS_NOT_FOUND 2u         /* no such device, symbol, file */
#define HETRUN_STATUS_UNIMPLEMENTED 3u     /* op, dtype or feature not supported */
#define HETRUN_STATUS_UNAVAILABLE 4u       /* device/plugin not usable here (e.g. no driver) */
#define HETRUN_STATUS_OUT_OF_MEMORY 5u     /* device or host allocation failed */
#define HETRUN_STATUS_DEVICE_LOST 6u       /* the device is gone; sticky for that device */
#define HETRUN_STATUS_TIMEOUT 7u           /* a wait ran past its deadline */
#define HETRUN_STATUS_CANCELLED 8u         /* the host asked to stop */
#define HETRUN_STATUS_INTERNAL 9u          /* a bug or unexpected failure inside the plugin */

/*===-- Data types ------------------------------------------------------------------------------===*/

/* Element types. Values equal ONNX TensorProto.DataType so conversions are the identity. */
typedef uint32_t hetrun_dtype_t;
#define HETRUN_DTYPE_UNDEFINED 0u
#define HETRUN_DTYPE_FLOAT32 1u
#define HETRUN_DTYPE_UINT8 2u
#define HETRUN_DTYPE_INT8 3u
#define HETRUN_DTYPE_UINT16 4u
#define HETRUN_DTYPE_INT16 5u
#define HETRUN_DTYPE_INT32 6u
#define HETRUN_DTYPE_INT64 7u
#define HETRUN_DTYPE_STRING 8u /* packed (minor 1, below); never crosses the boundary in ABI 1.0 */
#define HETRUN_DTYPE_BOOL 9u   /* one byte per element, 0 or 1 */
#define HETRUN_DTYPE_FLOAT16 10u
#define HETRUN_DTYPE_FLOAT64 11u
#define HETRUN_DTYPE_UINT32 12u
#define HETRUN_DTYPE_UINT64 13u
#define HETRUN_DTYPE_COMPLEX64 14u
#define HETRUN_DTYPE_COMPLEX128 15u
#define HETRUN_DTYPE_BFLOAT16 16u
/* Minor 1: ONNX sequence and optional values. Such a value crosses the boundary as a rank-1 tensor of
 * 1-byte elements (dims = {byte count}) whose bytes are self-describing, all little-endian:
 *   header (32 bytes): uint32 magic HETRUN_CONTAINER_MAGIC, uint32 kind (SEQUENCE or OPTIONAL),
 *     uint32 element_dtype (the dtype of the tensors inside), uint32 count (elements; 0 or 1 for an
 *     optional), uint32 inner_kind (for an optional: HETRUN_DTYPE_SEQUENCE when it wraps a sequence,
 *     else 0), uint32 reserved[3] (0);
 *   count entries (152 bytes each): uint32 dtype, uint32 rank (<= HETRUN_MAX_RANK), uint64 offset,
 *     uint64 bytes, int64 dims[HETRUN_MAX_RANK] (the first `rank` used, the rest 0);
 *   then the element data, each at `offset` bytes from the value's start, a multiple of 64.
 * An optional's element is a tensor, or (inner_kind SEQUENCE) a nested packed sequence whose entry
 * says dtype SEQUENCE, rank 1, dims {bytes}.
 * A STRING tensor crosses the same way (dtype STRING, rank 1, dims {byte count}), packed with the
 * same header and one entry: kind STRING, element_dtype STRING, count 1, inner_kind 0; the entry has
 * dtype STRING and the tensor's rank and dims; at its offset lie n = product(dims) uint64 byte
 * lengths, then the n strings' bytes (UTF-8, no terminators) back to back; its `bytes` is
 * 8 * n + the sum of the lengths. The graph view describes a string value as rank 1, dims {-1}.
 * Only a plugin whose table sets HETRUN_PLUGIN_PACKED_VALUES in `flags` is asked to run nodes that
 * touch packed values (sequence, optional or string); the host declines them for the others on
 * their behalf. Readers must check every count, offset and size. */
#define HETRUN_DTYPE_SEQUENCE 256u
#define HETRUN_DTYPE_OPTIONAL 257u
#define HETRUN_CONTAINER_MAGIC 0x31515348u /* "HSQ1" */
#define HETRUN_CONTAINER_HEADER_BYTES 32u
#define HETRUN_CONTAINER_ENTRY_BYTES 152u

/*===-- Host services ---------------------------------------------------------------------------===*/

typedef uint32_t hetrun_log_level_t;
#define HETRUN_LOG_DEBUG 0u
#define HETRUN_LOG_INFO 1u
#define HETRUN_LOG_WARNING 2u
#define HETRUN_LOG_ERROR 3u

/* What the host offers a plugin; passed to init() and valid until shutdown() returns. */
typedef struct hetrun_host_services {
  uint32_t struct_size;
  uint16_t abi_major, abi_minor;
  /* Makes a status carrying `code` and a copy of `message` (UTF-8, NUL-terminated). Never NULL for a
   * code other than HETRUN_STATUS_OK. Thread-safe. */
  hetrun_status_t (*status_create)(hetrun_status_code_t code, const char* message);
  /* Logs a line under the plugin's name. Thread-safe. */
  void (*log)(hetrun_log_level_t level, const char* message);
} hetrun_host_services;

/*===-- Graph view: a read-only, flattened, plain-C view of a (sub)graph -----------------------===*/

/* Attribute kinds. Values equal ONNX AttributeProto.AttributeType. */
typedef uint32_t hetrun_attr_type_t;
#define HETRUN_ATTR_FLOAT 1u
#define HETRUN_ATTR_INT 2u
#define HETRUN_ATTR_STRING 3u
#define HETRUN_ATTR_TENSOR 4u
#define HETRUN_ATTR_GRAPH 5u
#define HETRUN_ATTR_FLOATS 6u
#define HETRUN_ATTR_INTS 7u
#define HETRUN_ATTR_STRINGS 8u

/* hetrun_value.flags */
#define HETRUN_VALUE_CONSTANT 1u    /* data points at the value's contents (an initializer) */
#define HETRUN_VALUE_GRAPH_INPUT 2u /* fed by the caller of the (sub)graph */
#define HETRUN_VALUE_GRAPH_OUTPUT 4u

/* One value (tensor) of the graph. */
typedef struct hetrun_value {
  const char* name;     /* unique within the view, NUL-terminated */
  hetrun_dtype_t dtype;
  int32_t rank;         /* -1 when the rank is unknown */
  const int64_t* dims;  /* `rank` entries; -1 marks a dimension not known before run time */
  uint32_t flags;       /* HETRUN_VALUE_* */
  const void* data;     /* constant contents (row-major, little-endian), or NULL */
  uint64_t data_bytes;  /* size of `data` in bytes */
} hetrun_value;

struct hetrun_graph_view;

typedef struct hetrun_attribute {
  const char* name;
  hetrun_attr_type_t type;
  uint32_t count;        /* element count for FLOATS / INTS / STRINGS */
  float f;               /* FLOAT */
  int64_t i;             /* INT */
  const char* s;         /* STRING (NUL-terminated; may also contain NULs: use s_size) */
  uint64_t s_size;
  const float* floats;   /* FLOATS */
  const int64_t* ints;   /* INTS */
  const char* const* strings; /* STRINGS (NUL-terminated each) */
  const hetrun_value* tensor;  /* TENSOR: a constant value */
  const struct hetrun_graph_view* graph; /* GRAPH: a subgraph (control flow) */
} hetrun_attribute;

typedef struct hetrun_node {
  const char* name;     /* may be empty; the host gives every node a unique name when it is */
  const char* op_type;  /* e.g. "Conv" */
  const char* domain;   /* "" for the default ONNX domain */
  int64_t opset;        /* the model's opset version for `domain` */
  uint32_t num_inputs;
  const int32_t* inputs;  /* indices into hetrun_graph_view.values; -1 = omitted optional input */
  uint32_t num_outputs;
  const int32_t* outputs; /* indices into values; -1 = omitted optional output */
  uint32_t num_attributes;
  const hetrun_attribute* attributes;
} hetrun_node;

/* A graph or a part of one. Nodes are in topological order. For a part given to compile(), `inputs`
 * and `outputs` define the order of execute()'s arguments. */
typedef struct hetrun_graph_view {
  uint32_t struct_size;
  uint32_t num_values;
  const hetrun_value* values;
  uint32_t num_nodes;
  const hetrun_node* nodes;
  uint32_t num_inputs;
  const int32_t* inputs;  /* value indices, excluding constants */
  uint32_t num_outputs;
  const int32_t* outputs; /* value indices */
} hetrun_graph_view;

/*===-- Devices, buffers, executables, events ---------------------------------------------------===*/

typedef struct hetrun_device_s* hetrun_device_t;
typedef struct hetrun_buffer_s* hetrun_buffer_t;
typedef struct hetrun_executable_s* hetrun_executable_t;
typedef struct hetrun_event_s* hetrun_event_t;

typedef uint32_t hetrun_device_kind_t;
#define HETRUN_DEVICE_CPU 1u
#define HETRUN_DEVICE_GPU 2u
#define HETRUN_DEVICE_NPU 3u
#define HETRUN_DEVICE_OTHER 4u

/* hetrun_device_info.flags */
#define HETRUN_DEVICE_HOST_MEMORY 1u /* buffers live in host memory: buffer_map is zero-copy */

/* Static facts about a device; the partitioner's cost model reads the speeds. Filled by the plugin;
 * the host sets struct_size before the call. */
typedef struct hetrun_device_info {
  uint32_t struct_size;
  const char* name;         /* human-readable, e.g. "AMD EPYC 9R14 (2 threads)" */
  hetrun_device_kind_t kind;
  uint32_t flags;           /* HETRUN_DEVICE_* */
  uint64_t memory_bytes;    /* usable device memory */
  uint32_t compute_units;   /* cores, SMs, CUs */
  uint32_t reserved0;
  double peak_gflops;       /* float32 estimate */
  double memory_gbps;       /* device memory bandwidth estimate */
  double host_link_gbps;    /* host <-> device copy bandwidth estimate */
  double host_link_latency_us;
} hetrun_device_info;

typedef struct hetrun_device_options {
  uint32_t struct_size;
  uint32_t threads;         /* worker threads for CPU-like devices; 0 = the plugin's default */
  /* Minor 1: a directory this plugin may use to keep compiled code (kernels, shaders, transformed
   * weights) between processes, or NULL. The host gives each plugin its own (created on demand),
   * valid during device_open only (copy it). Entries must be checked (format, key, checksum)
   * and a bad one ignored: the cache may only ever save time, never change a result. Read it only
   * when struct_size covers it. */
  const char* cache_dir;
  /* Minor 3: 1 asks the device to time each node of every execute for event_node_times (the host
   * sets it only for profiling runs: it may cost a clock read per node); 0 = do not. Read it only
   * when struct_size covers it. */
  uint32_t profile_nodes;
  uint32_t reserved0;
} hetrun_device_options;

/* A plugin's answer for one node. The host sets struct_size and zeroes the rest before the call. */
typedef struct hetrun_node_support {
  uint32_t struct_size;
  uint8_t supported;        /* 1 if this device runs the node exactly as ONNX specifies */
  uint8_t reserved[3];
  double cost_us;           /* estimated time on this device; <= 0 means "no estimate" */
  char reason[256];         /* when not supported: why (op, dtype, attribute, shape), NUL-terminated */
} hetrun_node_support;

/* One tensor argument of execute(). */
typedef struct hetrun_tensor_arg {
  hetrun_buffer_t buffer;   /* for outputs: NULL asks the plugin to allocate one (see execute) */
  uint64_t offset;          /* byte offset of the tensor in the buffer */
  hetrun_dtype_t dtype;
  uint32_t rank;
  int64_t dims[HETRUN_MAX_RANK];
} hetrun_tensor_arg;

/*===-- Tuning (minor 2) -------------------------------------------------------------------------===*/

/* A code generator's parameter that changes how fast a node runs but never what it computes: a tile
 * size, a work-group size, an unroll factor, an algorithm. `hetrun tune` times a node compiled with
 * each candidate (compile_tuned) and later sessions compile with the fastest values found.
 * list_tunables fills these; the host sets struct_size and zeroes the rest before the call. */
#define HETRUN_MAX_TUNABLE_VALUES 16u
typedef struct hetrun_tunable {
  uint32_t struct_size;
  uint32_t num_values;      /* candidates in `values`: 1..HETRUN_MAX_TUNABLE_VALUES */
  char name[48];            /* [a-z0-9_]+, unique among the node's tunables, NUL-terminated */
  char description[160];    /* one line for people ("rows of the output per invocation") */
  int64_t values[HETRUN_MAX_TUNABLE_VALUES]; /* distinct; every one gives the same results */
  int64_t default_value;    /* what compile() uses; one of `values` */
} hetrun_tunable;

/* One chosen value, for compile_tuned. */
typedef struct hetrun_tuning_value {
  uint32_t node;            /* index of the node in the part */
  uint32_t reserved;        /* 0 */
  const char* name;         /* one of the tunables list_tunables gave for that node */
  int64_t value;            /* one of that tunable's values */
} hetrun_tuning_value;

/*===-- Profiling (minor 3) ----------------------------------------------------------------------===*/

/* One node's share of an execute, as event_node_times reports it; the host sets struct_size and
 * zeroes the rest before the call. A plugin that runs several of the part's nodes as one kernel
 * (fusion) reports that kernel once, under the first of them, and says so in `label`. */
typedef struct hetrun_node_time {
  uint32_t struct_size;
  uint32_t node;            /* index of the node in the part (of a fused group: its first) */
  double start_us;          /* from the start of the execute's work (event_elapsed_us's clock) */
  double duration_us;
  char label[128];          /* what ran, for people, e.g. "conv_3+relu_4 (Conv+Relu)"; "" = the
                               node's own name and op. NUL-terminated */
} hetrun_node_time;

/* hetrun_plugin_v1.flags (minor 1): the plugin runs nodes on packed values (HETRUN_DTYPE_SEQUENCE,
 * OPTIONAL and STRING). */
#define HETRUN_PLUGIN_PACKED_VALUES 1u

/*===-- The plugin table ------------------------------------------------------------------------===*/

typedef struct hetrun_plugin_v1 {
  uint32_t struct_size;     /* sizeof(hetrun_plugin_v1) as the plugin was built */
  uint16_t abi_major;       /* HETRUN_ABI_MAJOR the plugin was built with; must equal the host's */
  uint16_t abi_minor;
  const char* name;         /* device name it registers, e.g. "cpu"; [a-z0-9_]+ */
  const char* version;      /* plugin version, e.g. "0.1.0" */
  uint32_t flags;           /* HETRUN_PLUGIN_* capabilities (minor 1); 0 in ABI 1.0 */
  uint32_t reserved0;

  /* Starts the plugin. `host` stays valid until shutdown(); the host always passes a complete table.
   * *out_self is passed to the calls that take `self`. A plugin whose hardware or driver is absent
   * still succeeds and reports zero devices. */
  hetrun_status_t (*init)(const hetrun_host_services* host, void** out_self);
  /* Ends the plugin; every device, buffer, executable and event has been released. */
  void (*shutdown)(void* self);

  /* Number of devices this plugin can drive here (0 is a valid answer). */
  hetrun_status_t (*device_count)(void* self, uint32_t* out_count);
  /* Why there are zero devices (e.g. "libcuda.so.1 not found"), or NULL. Optional. */
  const char* (*unavailable_reason)(void* self);
  /* Properties of device `index` (< device_count). */
  hetrun_status_t (*device_info)(void* self, uint32_t index, hetrun_device_info* out_info);
  /* Opens device `index` for use. `options` may be NULL for defaults. */
  hetrun_status_t (*device_open)(void* self, uint32_t index, const hetrun_device_options* options,
                                 hetrun_device_t* out_device);
  void (*device_close)(hetrun_device_t device);

  /* For every node of `graph`, says whether this device supports it and at what estimated cost.
   * `out_support` has graph->num_nodes entries, each with struct_size set by the host; entries are
   * out_support[0].struct_size bytes apart (the host's sizeof), so a plugin steps by that and writes
   * only the fields it knows. Must not fail because of a node it does not know: that is a
   * `supported = 0` answer with a reason. */
  hetrun_status_t (*query_support)(hetrun_device_t device, const hetrun_graph_view* graph,
                                   hetrun_node_support* out_support);

  /* Compiles a part (every node of which this device said it supports) with the plugin's own code
   * generator. Dimensions of -1 in the view are resolved at execute() time from the inputs. */
  hetrun_status_t (*compile)(hetrun_device_t device, const hetrun_graph_view* part,
                             hetrun_executable_t* out_executable);
  void (*executable_release)(hetrun_executable_t executable);

  /* Device memory. Contents of a new buffer are undefined. buffer_write/read are synchronous: they
   * return when the bytes have been copied. */
  hetrun_status_t (*buffer_alloc)(hetrun_device_t device, uint64_t bytes, hetrun_buffer_t* out_buffer);
  void (*buffer_release)(hetrun_device_t device, hetrun_buffer_t buffer);
  hetrun_status_t (*buffer_write)(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                                  const void* src, uint64_t bytes);
  hetrun_status_t (*buffer_read)(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                                 void* dst, uint64_t bytes);
  /* Host pointer to the buffer's bytes, valid while the buffer lives, for devices with
   * HETRUN_DEVICE_HOST_MEMORY. Optional. */
  hetrun_status_t (*buffer_map)(hetrun_device_t device, hetrun_buffer_t buffer, void** out_ptr);

  /* Runs `executable` asynchronously once `num_waits` events have signalled, and returns an event that
   * signals when it finishes (or fails). Inputs follow the part's `inputs` order with concrete dims;
   * outputs follow its `outputs` order. An output whose buffer is NULL is allocated by the plugin on
   * the executable's device once its shape is known; the plugin then stores the buffer, dtype, rank and
   * dims into that entry before the event signals, and the host releases the buffer. The plugin reads
   * the input descriptions during the call (so argument errors come back at once) and writes the output
   * entries before the event signals: `outputs` must stay valid until then, and input buffers alive and
   * unmodified. An input produced by another execute's plugin-allocated output can therefore only be
   * passed once that execute's event has signalled. Offsets must be multiples of the element size.
   * Errors found while running are reported by event_wait. A plugin may finish short work before
   * returning (the CPU plugin does, for quick parts when its queue is idle): the event is then
   * already signalled, and errors still come back through event_wait. */
  hetrun_status_t (*execute)(hetrun_executable_t executable, const hetrun_tensor_arg* inputs,
                             uint32_t num_inputs, hetrun_tensor_arg* outputs, uint32_t num_outputs,
                             const hetrun_event_t* waits, uint32_t num_waits, hetrun_event_t* out_event);

  /* Blocks until `event` signals or `timeout_ms` passes (UINT64_MAX: no limit). Returns the error of
   * the work the event tracks, HETRUN_STATUS_TIMEOUT, or NULL. May be called several times. */
  hetrun_status_t (*event_wait)(hetrun_device_t device, hetrun_event_t event, uint64_t timeout_ms);
  /* *out_done = 1 if the event has signalled. Never blocks. */
  hetrun_status_t (*event_query)(hetrun_device_t device, hetrun_event_t event, uint8_t* out_done);
  void (*event_release)(hetrun_device_t device, hetrun_event_t event);

  /* Minor 2 (tuning). The host calls these only when struct_size covers them and they are non-NULL;
   * a plugin offers list_tunables and compile_tuned together or neither. */

  /* The tunable parameters of node `node` of `graph` (a node this device supports; the graph as
   * query_support saw it). Writes up to `capacity` entries into `out` (entries out[0].struct_size
   * bytes apart, as in query_support) and sets *out_count to how many the node has, which may be
   * more than `capacity`: the host then calls again with room for all. Zero is a valid answer. The
   * candidates may depend on the device and on the node's op, attributes and shapes, on nothing
   * else, so the host may reuse an answer for an identical node on the same device. Optional. */
  hetrun_status_t (*list_tunables)(hetrun_device_t device, const hetrun_graph_view* graph,
                                   uint32_t node, hetrun_tunable* out, uint32_t capacity,
                                   uint32_t* out_count);
  /* compile() with chosen values for some of the part's nodes; a tunable not named keeps its
   * default, so compile_tuned with no values is compile(). A node index outside the part, a name
   * list_tunables did not give for that node, a value not among its candidates or a tunable named
   * twice is INVALID_ARGUMENT. Results equal compile()'s (up to floating-point reassociation).
   * Optional; present when list_tunables is. */
  hetrun_status_t (*compile_tuned)(hetrun_device_t device, const hetrun_graph_view* part,
                                   const hetrun_tuning_value* values, uint32_t num_values,
                                   hetrun_executable_t* out_executable);
  /* How long the work `event` tracks took on the device by the device's own clock (timestamp
   * queries, profiling events, the worker thread's clock for a CPU): from when the device began it
   * to when it ended, without the time it waited in a queue or for `waits`. Only for an event of
   * execute() that has signalled success; UNIMPLEMENTED when the plugin has no time for it (the
   * host then uses its own clock around execute and event_wait). Optional. */
  hetrun_status_t (*event_elapsed_us)(hetrun_device_t device, hetrun_event_t event,
                                      double* out_us);

  /* Minor 3 (profiling). */

  /* Where the time of the work `event` tracks went, node by node, in the order they ran: for an
   * execute() event that has signalled success on a device opened with profile_nodes = 1. Writes
   * up to `capacity` entries into `out` (entries out[0].struct_size bytes apart, as in
   * query_support) and sets *out_count to how many there are, which may be more than `capacity`:
   * the host then calls again with room for all. UNIMPLEMENTED when the device kept no node times
   * for it (profile_nodes was 0). Optional: NULL when the plugin times parts only. */
  hetrun_status_t (*event_node_times)(hetrun_device_t device, hetrun_event_t event,
                                      hetrun_node_time* out, uint32_t capacity,
                                      uint32_t* out_count);
} hetrun_plugin_v1;

/* The one exported symbol. Returns NULL when the plugin cannot serve a host of that ABI version. */
typedef const hetrun_plugin_v1* (*hetrun_plugin_query_fn)(uint32_t host_abi_major,
                                                          uint32_t host_abi_minor);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HETRUN_PLUGIN_H_ */
