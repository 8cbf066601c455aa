// Header-only C++ helpers for plugin authors: turning exceptions into hetrun_status_t at the ABI
// boundary, and reading attributes and dtypes from the graph view. Optional: a plugin may use the C
// header alone. Nothing here is exported; every plugin gets its own copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "hetrun/plugin.h"

// Marks per-library state hidden whatever the plugin's visibility flags: two plugins in one process
// must never share it (a default-visibility inline static would be merged across libraries).
#ifndef HETRUN_PLUGIN_HIDDEN
#if defined(_WIN32)
#define HETRUN_PLUGIN_HIDDEN
#else
#define HETRUN_PLUGIN_HIDDEN __attribute__((visibility("hidden")))
#endif
#endif

namespace hetrun::plugin {

// The host services given to init(); set it there with SetHost().
HETRUN_PLUGIN_HIDDEN inline const hetrun_host_services*& HostSlot() {
  static const hetrun_host_services* host = nullptr;
  return host;
}
inline void SetHost(const hetrun_host_services* host) {
  HostSlot() = host;
}

// Throw this inside a plugin to return a specific status code through Guard().
class Error : public std::runtime_error {
 public:
  Error(hetrun_status_code_t code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  hetrun_status_code_t code() const { return code_; }

 private:
  hetrun_status_code_t code_;
};

inline hetrun_status_t MakeStatus(hetrun_status_code_t code, const char* message) {
  const hetrun_host_services* host = HostSlot();
  return host ? host->status_create(code, message) : nullptr;
}

// Runs `body`, converting any exception into a status: the only safe way out of a plugin.
template <typename Body>
hetrun_status_t Guard(Body&& body) noexcept {
  try {
    body();
    return nullptr;
  } catch (const Error& e) {
    return MakeStatus(e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return MakeStatus(HETRUN_STATUS_OUT_OF_MEMORY, "out of host memory");
  } catch (const std::exception& e) {
    return MakeStatus(HETRUN_STATUS_INTERNAL, e.what());
  } catch (...) {
    return MakeStatus(HETRUN_STATUS_INTERNAL, "unknown exception");
  }
}

inline void Log(hetrun_log_level_t level, const std::string& message) {
  if (const hetrun_host_services* host = HostSlot()) host->log(level, message.c_str());
}

// Bytes per element; 0 for unknown types and for STRING/SEQUENCE/OPTIONAL, whose packed values
// (ABI minor 1) are byte tensors: see HETRUN_PLUGIN_PACKED_VALUES in plugin.h.
inline size_t DTypeSize(hetrun_dtype_t t) {
  switch (t) {
    case HETRUN_DTYPE_BOOL:
    case HETRUN_DTYPE_UINT8:
    case HETRUN_DTYPE_INT8: return 1;
    case HETRUN_DTYPE_UINT16:
    case HETRUN_DTYPE_INT16:
    case HETRUN_DTYPE_FLOAT16:
    case HETRUN_DTYPE_BFLOAT16: return 2;
    case HETRUN_DTYPE_FLOAT32:
    case HETRUN_DTYPE_INT32:
    case HETRUN_DTYPE_UINT32: return 4;
    case HETRUN_DTYPE_FLOAT64:
    case HETRUN_DTYPE_INT64:
    case HETRUN_DTYPE_UINT64:
    case HETRUN_DTYPE_COMPLEX64: return 8;
    case HETRUN_DTYPE_COMPLEX128: return 16;
    default: return 0;
  }
}

inline const char* DTypeName(hetrun_dtype_t t) {
  switch (t) {
    case HETRUN_DTYPE_FLOAT32: return "float32";
    case HETRUN_DTYPE_UINT8: return "uint8";
    case HETRUN_DTYPE_INT8: return "int8";
    case HETRUN_DTYPE_UINT16: return "uint16";
    case HETRUN_DTYPE_INT16: return "int16";
    case HETRUN_DTYPE_INT32: return "int32";
    case HETRUN_DTYPE_INT64: return "int64";
    case HETRUN_DTYPE_STRING: return "string";
    case HETRUN_DTYPE_BOOL: return "bool";
    case HETRUN_DTYPE_FLOAT16: return "float16";
    case HETRUN_DTYPE_FLOAT64: return "float64";
    case HETRUN_DTYPE_UINT32: return "uint32";
    case HETRUN_DTYPE_UINT64: return "uint64";
    case HETRUN_DTYPE_COMPLEX64: return "complex64";
    case HETRUN_DTYPE_COMPLEX128: return "complex128";
    case HETRUN_DTYPE_BFLOAT16: return "bfloat16";
    case HETRUN_DTYPE_SEQUENCE: return "sequence";
    case HETRUN_DTYPE_OPTIONAL: return "optional";
    default: return "undefined";
  }
}

//===-- Attribute access ---------------------------------------------------------------------===//

inline const hetrun_attribute* FindAttr(const hetrun_node& node, const char* name) {
  for (uint32_t i = 0; i < node.num_attributes; ++i)
    if (std::strcmp(node.attributes[i].name, name) == 0) return &node.attributes[i];
  return nullptr;
}

inline int64_t AttrInt(const hetrun_node& node, const char* name, int64_t fallback) {
  const hetrun_attribute* a = FindAttr(node, name);
  return a && a->type == HETRUN_ATTR_INT ? a->i : fallback;
}

inline float AttrFloat(const hetrun_node& node, const char* name, float fallback) {
  const hetrun_attribute* a = FindAttr(node, name);
  return a && a->type == HETRUN_ATTR_FLOAT ? a->f : fallback;
}

inline std::string AttrString(const hetrun_node& node, const char* name,
                              const std::string& fallback) {
  const hetrun_attribute* a = FindAttr(node, name);
  return a && a->type == HETRUN_ATTR_STRING ? std::string(a->s, a->s_size) : fallback;
}

inline std::vector<int64_t> AttrInts(const hetrun_node& node, const char* name,
                                     std::vector<int64_t> fallback = {}) {
  const hetrun_attribute* a = FindAttr(node, name);
  if (!a || a->type != HETRUN_ATTR_INTS) return fallback;
  return std::vector<int64_t>(a->ints, a->ints + a->count);
}

inline std::vector<float> AttrFloats(const hetrun_node& node, const char* name,
                                     std::vector<float> fallback = {}) {
  const hetrun_attribute* a = FindAttr(node, name);
  if (!a || a->type != HETRUN_ATTR_FLOATS) return fallback;
  return std::vector<float>(a->floats, a->floats + a->count);
}

//===-- Per-node times (ABI minor 3) --------------------------------------------------------===//

// Whether the host asked the device being opened to time each node (options->profile_nodes; a
// host older than minor 3 never does).
inline bool ProfileNodesRequested(const hetrun_device_options* options) {
  return options &&
         options->struct_size >=
             offsetof(hetrun_device_options, profile_nodes) + sizeof(uint32_t) &&
         options->profile_nodes != 0;
}

// One kernel's share of the work an event tracks.
struct NodeTime {
  uint32_t node = 0;    // index in the part (of nodes run as one kernel: the first)
  double start_us = 0;  // from the start of the work, on the clock of event_elapsed_us
  double duration_us = 0;
  std::string label;  // what ran, for people ("a+b (Add+Relu)"); "" for a single node
};

// event_node_times' answer for an event in the state given: INVALID_ARGUMENT before it signalled
// or when its work failed, UNIMPLEMENTED when it kept no times, else up to `capacity` entries
// written `out[0].struct_size` bytes apart (only the fields that size covers) and the count.
// Throws Error; call it inside Guard().
inline void AnswerNodeTimes(bool done, hetrun_status_code_t code, const std::string& message,
                            const std::optional<std::vector<NodeTime>>& times,
                            hetrun_node_time* out, uint32_t capacity, uint32_t* out_count) {
  if (!out_count) throw Error(HETRUN_STATUS_INVALID_ARGUMENT, "out_count is NULL");
  if (capacity > 0 && !out) throw Error(HETRUN_STATUS_INVALID_ARGUMENT, "out is NULL");
  if (!done)
    throw Error(HETRUN_STATUS_INVALID_ARGUMENT,
                "the event has not signalled yet: wait for it first");
  if (code != HETRUN_STATUS_OK)
    throw Error(HETRUN_STATUS_INVALID_ARGUMENT,
                "the event's work failed, so it has no node times: " + message);
  if (!times)
    throw Error(HETRUN_STATUS_UNIMPLEMENTED,
                "no node times were recorded for this event (the device was not opened with "
                "profile_nodes = 1, or it cannot time its kernels)");
  const size_t stride = capacity > 0 ? out[0].struct_size : 0;
  if (capacity > 0 && stride < offsetof(hetrun_node_time, label))
    throw Error(HETRUN_STATUS_INVALID_ARGUMENT,
                "out[0].struct_size " + std::to_string(stride) + " is too small");
  for (size_t i = 0; i < times->size() && i < capacity; ++i) {
    auto* entry = reinterpret_cast<hetrun_node_time*>(reinterpret_cast<char*>(out) + i * stride);
    const NodeTime& t = (*times)[i];
    entry->node = t.node;
    entry->start_us = t.start_us;
    entry->duration_us = t.duration_us;
    if (stride >= offsetof(hetrun_node_time, label) + sizeof entry->label)
      std::snprintf(entry->label, sizeof entry->label, "%s", t.label.c_str());
  }
  *out_count = static_cast<uint32_t>(times->size());
}

}  // namespace hetrun::plugin
