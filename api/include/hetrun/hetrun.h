/* hetrun's C API for applications: load a model, partition it across devices, run it.
 *
 * Stable and versioned (HETRUN_API_VERSION; libhetrun.so.<major>). Pure C99: opaque handles, no C++
 * types, no exceptions across the boundary.
 *
 * Conventions
 * - Every function that can fail returns hetrun_error_t*: NULL on success, otherwise an error the
 *   caller owns and must free with hetrun_error_release(). Out-parameters are written only on
 *   success.
 * - Every handle has a release function; each release function accepts NULL.
 * - Strings returned as `const char**` belong to the handle they came from and stay valid until it
 *   is released; strings returned as `char**` are the caller's (free with hetrun_string_release).
 * - Element types (dtype) use ONNX TensorProto.DataType's numbers (HETRUN_TENSOR_*), which are also
 *   the plugin ABI's HETRUN_DTYPE_* values. String tensors cannot cross this API.
 * - Thread safety: a session may be run from several threads at once. Options, environments and
 *   tensors are not synchronised: do not change one while another thread uses it.
 */
#ifndef HETRUN_HETRUN_H_
#define HETRUN_HETRUN_H_

#include <stddef.h>
#include <stdint.h>

#if defined(HETRUN_C_API_BUILD)
#define HETRUN_API __attribute__((visibility("default")))
#else
#define HETRUN_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The API version this header describes. Bumped when functions are added; existing functions keep
 * their meaning within a major version (the library's SONAME). */
#define HETRUN_API_VERSION 1u

/* ---- Errors ------------------------------------------------------------------------------------ */

/* Error codes; equal to the plugin ABI's HETRUN_STATUS_* so a device's error passes through. */
#define HETRUN_ERROR_OK 0u
#define HETRUN_ERROR_INVALID_ARGUMENT 1u
#define HETRUN_ERROR_NOT_FOUND 2u
#define HETRUN_ERROR_UNIMPLEMENTED 3u
#define HETRUN_ERROR_UNAVAILABLE 4u
#define HETRUN_ERROR_OUT_OF_MEMORY 5u
#define HETRUN_ERROR_DEVICE_LOST 6u
#define HETRUN_ERROR_TIMEOUT 7u
#define HETRUN_ERROR_CANCELLED 8u
#define HETRUN_ERROR_INTERNAL 9u

typedef struct hetrun_error hetrun_error_t;

/* HETRUN_ERROR_OK for NULL. */
HETRUN_API uint32_t hetrun_error_code(const hetrun_error_t* error);
/* One line naming what failed and why ("" for NULL). Valid until the error is released. */
HETRUN_API const char* hetrun_error_message(const hetrun_error_t* error);
HETRUN_API void hetrun_error_release(hetrun_error_t* error);

/* The HETRUN_API_VERSION the library was built with (compare with the header's). */
HETRUN_API uint32_t hetrun_get_api_version(void);
/* Frees a string the library returned through `char**`. */
HETRUN_API void hetrun_string_release(char* text);

/* ---- Element types ----------------------------------------------------------------------------- */

#define HETRUN_TENSOR_UNDEFINED 0u
#define HETRUN_TENSOR_FLOAT32 1u
#define HETRUN_TENSOR_UINT8 2u
#define HETRUN_TENSOR_INT8 3u
#define HETRUN_TENSOR_UINT16 4u
#define HETRUN_TENSOR_INT16 5u
#define HETRUN_TENSOR_INT32 6u
#define HETRUN_TENSOR_INT64 7u
#define HETRUN_TENSOR_STRING 8u /* metadata only: string tensors cannot be created or run */
#define HETRUN_TENSOR_BOOL 9u   /* one byte per element, 0 or 1 */
#define HETRUN_TENSOR_FLOAT16 10u
#define HETRUN_TENSOR_FLOAT64 11u
#define HETRUN_TENSOR_UINT32 12u
#define HETRUN_TENSOR_UINT64 13u
#define HETRUN_TENSOR_COMPLEX64 14u
#define HETRUN_TENSOR_COMPLEX128 15u
#define HETRUN_TENSOR_BFLOAT16 16u

/* ---- Environment: plugin discovery ------------------------------------------------------------- */

/* Plugins are found in the directories added here, then in <dir of libhetrun.so>/hetrun/plugins
 * (<prefix>/lib/hetrun/plugins in both the build and the install tree). */
typedef struct hetrun_env hetrun_env_t;

HETRUN_API hetrun_error_t* hetrun_env_create(hetrun_env_t** out);
HETRUN_API void hetrun_env_release(hetrun_env_t* env);
/* Searched before the default directory, in the order added. */
HETRUN_API hetrun_error_t* hetrun_env_add_plugin_path(hetrun_env_t* env, const char* directory);
/* Loads every plugin found (once; plugins that fail to load are skipped) and counts their devices. */
HETRUN_API hetrun_error_t* hetrun_env_device_count(hetrun_env_t* env, size_t* count);
/* `name` is what session options accept ("cpu", "vulkan:1"); `description` is for people
 * ("llvmpipe (LLVM 16.0.6) | kind gpu | plugin vulkan 0.1.0"). Either out-pointer may be NULL.
 * Valid until the environment is released or add_plugin_path is called. */
HETRUN_API hetrun_error_t* hetrun_env_device_info(hetrun_env_t* env, size_t index,
                                                  const char** name, const char** description);

/* ---- Session options --------------------------------------------------------------------------- */

typedef struct hetrun_session_options hetrun_session_options_t;

/* Defaults: devices {"cpu"}, partition "cost", no pins, plugin-default threads, fallback "none",
 * no profiling, no warm start, device memory as the plugins report it. */
HETRUN_API hetrun_error_t* hetrun_session_options_create(hetrun_session_options_t** out);
HETRUN_API void hetrun_session_options_release(hetrun_session_options_t* options);
/* Devices in priority order ("cpu", "vulkan:1"); replaces the list. `count` must be > 0. */
HETRUN_API hetrun_error_t* hetrun_session_options_set_devices(hetrun_session_options_t* options,
                                                              const char* const* devices,
                                                              size_t count);
/* "cost" (the cost model picks) or "priority" (the first device that supports a node). */
HETRUN_API hetrun_error_t* hetrun_session_options_set_partition(hetrun_session_options_t* options,
                                                                const char* strategy);
/* A pin, "PATTERN=DEVICE" as the CLI's --assign: nodes whose name or op type match the glob go to
 * DEVICE. Appended; the first matching pin wins. */
HETRUN_API hetrun_error_t* hetrun_session_options_add_assignment(hetrun_session_options_t* options,
                                                                 const char* assignment);
/* Threads per device; 0 = the plugin's default. */
HETRUN_API hetrun_error_t* hetrun_session_options_set_threads(hetrun_session_options_t* options,
                                                              uint32_t threads);
/* "none" (a failing device fails the run) or "cpu" (the part is re-run on the CPU). */
HETRUN_API hetrun_error_t* hetrun_session_options_set_fallback(hetrun_session_options_t* options,
                                                               const char* policy);
/* After each run, a Chrome trace of it is written to `path` (NULL or "" turns profiling off). */
HETRUN_API hetrun_error_t* hetrun_session_options_set_profiling_file(
    hetrun_session_options_t* options, const char* path);
/* Non-zero: session creation returns once a CPU-only session is ready; the full plan is built in
 * the background and runs switch to it when it is ready. */
HETRUN_API hetrun_error_t* hetrun_session_options_set_warm_start(hetrun_session_options_t* options,
                                                                 int enabled);
/* Memory the plan may use on `device` ("vulkan:1"), replacing what its plugin reports. */
HETRUN_API hetrun_error_t* hetrun_session_options_set_device_memory(
    hetrun_session_options_t* options, const char* device, uint64_t bytes);
/* Fixes the dims of input `name` (for models with dynamic dims), like the CLI's --shape. */
HETRUN_API hetrun_error_t* hetrun_session_options_set_input_shape(hetrun_session_options_t* options,
                                                                  const char* name,
                                                                  const int64_t* dims, size_t rank);
/* Keeps compiled plans in `directory` (created on demand; NULL or "" turns the cache off), like
 * the CLI's --cache-dir: a later session of the same model file, devices, plugin builds and
 * options skips import, partitioning and the plugins' code generation. Damaged entries are ignored
 * and rebuilt; the cache never changes results. Used by hetrun_session_create (not from memory,
 * not with warm start); the plugins' own compiled-code caches apply to every session. */
HETRUN_API hetrun_error_t* hetrun_session_options_set_cache_dir(hetrun_session_options_t* options,
                                                                const char* directory);

/* ---- Sessions ---------------------------------------------------------------------------------- */

typedef struct hetrun_session hetrun_session_t;

/* `env` and `options` may be NULL (defaults); neither needs to outlive the call. Sessions created
 * with one environment share its plugins: each is loaded once per environment and stays loaded
 * while the environment or any of its sessions lives (session options that add plugin paths of
 * their own load their own). */
HETRUN_API hetrun_error_t* hetrun_session_create(const hetrun_env_t* env, const char* model_path,
                                                 const hetrun_session_options_t* options,
                                                 hetrun_session_t** out);
/* From an ONNX model in memory (copied during the call; external tensor data is not supported). */
HETRUN_API hetrun_error_t* hetrun_session_create_from_memory(const hetrun_env_t* env,
                                                             const void* model_data,
                                                             size_t model_size,
                                                             const hetrun_session_options_t* options,
                                                             hetrun_session_t** out);
/* Waits for run_async calls still in flight, then frees the session. */
HETRUN_API void hetrun_session_release(hetrun_session_t* session);

/* Input and output metadata. `name` stays valid for the session's life. `rank` is -1 when the rank
 * is unknown. `dims` receives min(rank, capacity) sizes, -1 for a dynamic dim. Out-pointers other
 * than the session may be NULL. */
HETRUN_API hetrun_error_t* hetrun_session_input_count(const hetrun_session_t* session,
                                                      size_t* count);
HETRUN_API hetrun_error_t* hetrun_session_output_count(const hetrun_session_t* session,
                                                       size_t* count);
HETRUN_API hetrun_error_t* hetrun_session_input_info(const hetrun_session_t* session, size_t index,
                                                     const char** name, uint32_t* dtype,
                                                     int64_t* rank);
HETRUN_API hetrun_error_t* hetrun_session_output_info(const hetrun_session_t* session, size_t index,
                                                      const char** name, uint32_t* dtype,
                                                      int64_t* rank);
HETRUN_API hetrun_error_t* hetrun_session_input_dims(const hetrun_session_t* session, size_t index,
                                                     int64_t* dims, size_t capacity);
HETRUN_API hetrun_error_t* hetrun_session_output_dims(const hetrun_session_t* session, size_t index,
                                                      int64_t* dims, size_t capacity);

/* The partition plan as JSON (the CLI's --plan-json format: devices, parts, transfers). Free with
 * hetrun_string_release. With warm start: the plan runs use now. */
HETRUN_API hetrun_error_t* hetrun_session_plan_json(const hetrun_session_t* session, char** json);

/* ---- Tensors ----------------------------------------------------------------------------------- */

typedef struct hetrun_tensor hetrun_tensor_t;

/* Library-owned, zero-filled memory of dtype and dims. */
HETRUN_API hetrun_error_t* hetrun_tensor_create(uint32_t dtype, const int64_t* dims, size_t rank,
                                                hetrun_tensor_t** out);
/* Over caller-owned memory, not copied: `data` must hold exactly `bytes` = element count x element
 * size bytes, and stay valid (and unchanged while a run reads it) until the tensor is released. */
HETRUN_API hetrun_error_t* hetrun_tensor_create_over(uint32_t dtype, const int64_t* dims,
                                                     size_t rank, void* data, size_t bytes,
                                                     hetrun_tensor_t** out);
HETRUN_API void hetrun_tensor_release(hetrun_tensor_t* tensor);
/* `dims` points into the tensor (valid while it lives). Out-pointers may be NULL. */
HETRUN_API hetrun_error_t* hetrun_tensor_info(const hetrun_tensor_t* tensor, uint32_t* dtype,
                                              size_t* rank, const int64_t** dims);
/* The tensor's element memory (row-major, densely packed) and its size in bytes. */
HETRUN_API hetrun_error_t* hetrun_tensor_data(hetrun_tensor_t* tensor, void** data, size_t* bytes);

/* ---- Running ----------------------------------------------------------------------------------- */

/* Runs the model once, synchronously.
 * inputs: `input_count` (name, tensor) pairs, one for every model input; the tensors are only read.
 * outputs: `output_names` selects outputs by name; NULL means every model output in model order (then
 *   `output_count` must equal the output count). On entry each outputs[i] is either NULL (the library
 *   stores a new library-owned tensor there, which the caller releases) or a tensor of the output's
 *   dtype and dims whose memory receives the result (caller-owned memory works, e.g. preallocated).
 * On failure no outputs[i] that was NULL is set. */
HETRUN_API hetrun_error_t* hetrun_session_run(const hetrun_session_t* session,
                                              const char* const* input_names,
                                              const hetrun_tensor_t* const* inputs,
                                              size_t input_count, const char* const* output_names,
                                              size_t output_count, hetrun_tensor_t** outputs);

/* Called once per run_async call, on a library thread. On success `error` is NULL and `outputs`
 * holds `output_count` new tensors; on failure `outputs` is NULL. The callback owns the error and
 * every output tensor (release each), while the `outputs` array itself is only valid during the
 * call. */
typedef void (*hetrun_run_callback_t)(void* user_data, hetrun_error_t* error,
                                      hetrun_tensor_t** outputs, size_t output_count);

/* Starts a run and returns at once; `callback` receives the outputs (always newly allocated). The
 * input tensors (and memory under them) and the session must stay alive until the callback has been
 * called; input_names/output_names arrays are copied. An error returned here means the run was not
 * started and the callback will not be called. */
HETRUN_API hetrun_error_t* hetrun_session_run_async(const hetrun_session_t* session,
                                                    const char* const* input_names,
                                                    const hetrun_tensor_t* const* inputs,
                                                    size_t input_count,
                                                    const char* const* output_names,
                                                    size_t output_count,
                                                    hetrun_run_callback_t callback,
                                                    void* user_data);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HETRUN_HETRUN_H_ */
