// What the C API's opaque handles hold, and Guard(): the one place C++ exceptions and Status values
// turn into hetrun_error_t* so nothing thrown ever crosses the C boundary.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "hetrun/core/tensor.h"
#include "hetrun/hetrun.h"
#include "hetrun/plugin_api/plugin_registry.h"
#include "hetrun/runtime/session.h"
#include "hetrun/status.h"

struct hetrun_error {
  uint32_t code = HETRUN_ERROR_INTERNAL;
  std::string message;
};

struct hetrun_env {
  std::vector<std::string> plugin_paths;
  bool listed = false;  // devices below are filled on first query
  std::vector<std::pair<std::string, std::string>> devices;  // (name, description)

  // The plugins, loaded once for the environment and shared by the sessions created with it (each
  // co-owns them, so the environment may be released first). Made on first use, also from
  // concurrent session creations; add_plugin_path starts a new one.
  std::shared_ptr<hetrun::plugin_api::PluginRegistry> Registry() const {
    std::lock_guard lock(registry_mutex);
    if (registry == nullptr)
      registry = std::make_shared<hetrun::plugin_api::PluginRegistry>(plugin_paths);
    return registry;
  }
  void ResetRegistry() {
    std::lock_guard lock(registry_mutex);
    registry.reset();
  }

 private:
  mutable std::mutex registry_mutex;
  mutable std::shared_ptr<hetrun::plugin_api::PluginRegistry> registry;
};

struct hetrun_session_options {
  hetrun::runtime::SessionOptions options;
  std::string profiling_file;
};

struct hetrun_session {
  std::unique_ptr<hetrun::runtime::Session> session;
  std::string profiling_file;
  std::mutex profiling_mutex;  // concurrent runs write the trace one at a time
  // run_async calls in flight; release waits for them to finish.
  std::mutex async_mutex;
  std::condition_variable async_done;
  int async_in_flight = 0;
};

struct hetrun_tensor {
  uint32_t dtype = HETRUN_TENSOR_UNDEFINED;
  std::vector<int64_t> dims;
  hetrun::core::Tensor owned;  // library-owned storage; unused when `external` is set
  void* external = nullptr;    // caller-owned memory (hetrun_tensor_create_over)
  size_t bytes = 0;
  void* data() { return external != nullptr ? external : owned.mutable_data(); }
  const void* data() const { return external != nullptr ? external : owned.data(); }
};

namespace hetrun::capi {

// A new error; never throws (an allocation failure yields a shared, static out-of-memory error).
hetrun_error_t* MakeError(uint32_t code, const std::string& message) noexcept;
inline hetrun_error_t* ToError(const Status& status) noexcept {
  return status.ok() ? nullptr : MakeError(static_cast<uint32_t>(status.code()), status.message());
}
hetrun_error_t* OutOfMemoryError() noexcept;
// "<where>: <what>", built without throwing (for catch handlers).
hetrun_error_t* MakeError(uint32_t code, const char* where, const char* what) noexcept;

// Runs `body` (returning Status) and converts its outcome, exceptions included, to an error.
template <typename Body>
hetrun_error_t* Guard(const char* function, Body&& body) noexcept {
  try {
    return ToError(body());
  } catch (const std::bad_alloc&) {
    return OutOfMemoryError();
  } catch (const std::exception& e) {
    return MakeError(HETRUN_ERROR_INTERNAL, function, e.what());
  } catch (...) {
    return MakeError(HETRUN_ERROR_INTERNAL, function, "unknown exception");
  }
}

// For functions with a non-null pointer argument.
inline Status Require(const void* pointer, const char* function, const char* argument) {
  if (pointer != nullptr) return Status::Ok();
  return InvalidArgument(std::string(function) + ": `" + argument + "` is NULL");
}

}  // namespace hetrun::capi
