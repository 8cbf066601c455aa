#include "hetrun/plugin_api/host_services.h"

#include <atomic>
#include <cstdio>
#include <new>

namespace hetrun::plugin_api {
namespace {

std::atomic<hetrun_log_level_t> g_log_level{HETRUN_LOG_WARNING};

hetrun_status_t StatusCreate(hetrun_status_code_t code, const char* message) {
  if (code == HETRUN_STATUS_OK) return nullptr;
  // A status must never be lost to an allocation failure: fall back to a static one would need
  // special freeing, so on failure we return a status without message instead.
  auto* s = new (std::nothrow) hetrun_status_s{code, {}};
  if (s == nullptr) return nullptr;
  try {
    s->message = message ? message : "";
  } catch (...) {
  }
  return s;
}

void Log(hetrun_log_level_t level, const char* message) {
  if (level < g_log_level.load(std::memory_order_relaxed)) return;
  static const char* const kNames[] = {"debug", "info", "warning", "error"};
  std::fprintf(stderr, "hetrun: plugin %s: %s\n", kNames[level > 3 ? 3 : level],
               message ? message : "");
}

const hetrun_host_services kServices = {
    sizeof(hetrun_host_services), HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR, StatusCreate, Log,
};

}  // namespace

const hetrun_host_services* HostServices() {
  return &kServices;
}

void SetPluginLogLevel(hetrun_log_level_t level) {
  g_log_level.store(level);
}

Status TakeStatus(hetrun_status_t status, const std::string& context) {
  if (status == nullptr) return Status::Ok();
  uint32_t code = status->code;
  std::string message = std::move(status->message);
  delete status;
  if (code == HETRUN_STATUS_OK || code > HETRUN_STATUS_INTERNAL) code = HETRUN_STATUS_INTERNAL;
  if (message.empty()) message = StatusCodeName(static_cast<StatusCode>(code));
  return Status(static_cast<StatusCode>(code),
                context.empty() ? message : context + ": " + message);
}

}  // namespace hetrun::plugin_api
