// Status and Result<T>: how hetrun's C++ code reports errors that input can cause (bad model,
// missing plugin, failing device). Library code returns these instead of throwing; the CLI and the
// C API turn them into one clear line. Codes mirror the plugin ABI's so a plugin's error passes
// through unchanged.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "hetrun/plugin.h"

namespace hetrun {

enum class StatusCode : uint32_t {
  kOk = HETRUN_STATUS_OK,
  kInvalidArgument = HETRUN_STATUS_INVALID_ARGUMENT,
  kNotFound = HETRUN_STATUS_NOT_FOUND,
  kUnimplemented = HETRUN_STATUS_UNIMPLEMENTED,
  kUnavailable = HETRUN_STATUS_UNAVAILABLE,
  kOutOfMemory = HETRUN_STATUS_OUT_OF_MEMORY,
  kDeviceLost = HETRUN_STATUS_DEVICE_LOST,
  kTimeout = HETRUN_STATUS_TIMEOUT,
  kCancelled = HETRUN_STATUS_CANCELLED,
  kInternal = HETRUN_STATUS_INTERNAL,
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<message>" for display; the code is available separately for programs.
  std::string ToString() const { return ok() ? "ok" : message_; }
  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const {
    return ok() ? *this : Status(code_, context + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) {
  return {StatusCode::kNotFound, std::move(m)};
}
inline Status Unimplemented(std::string m) {
  return {StatusCode::kUnimplemented, std::move(m)};
}
inline Status Unavailable(std::string m) {
  return {StatusCode::kUnavailable, std::move(m)};
}
inline Status InternalError(std::string m) {
  return {StatusCode::kInternal, std::move(m)};
}

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like absl::StatusOr
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result constructed from an OK status");
  }
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

inline const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kNotFound: return "not found";
    case StatusCode::kUnimplemented: return "unimplemented";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kOutOfMemory: return "out of memory";
    case StatusCode::kDeviceLost: return "device lost";
    case StatusCode::kTimeout: return "timeout";
    case StatusCode::kCancelled: return "cancelled";
    case StatusCode::kInternal: return "internal error";
  }
  return "unknown";
}

}  // namespace hetrun

// Propagates a non-OK Status from `expr` to the caller.
#define HETRUN_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::hetrun::Status hetrun_status_ = (expr);        \
    if (!hetrun_status_.ok()) return hetrun_status_; \
  } while (0)

#define HETRUN_CONCAT_INNER_(a, b) a##b
#define HETRUN_CONCAT_(a, b) HETRUN_CONCAT_INNER_(a, b)
// `HETRUN_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result or returns its Status.
#define HETRUN_ASSIGN_OR_RETURN(decl, expr) \
  HETRUN_ASSIGN_OR_RETURN_IMPL_(HETRUN_CONCAT_(hetrun_result_, __LINE__), decl, expr)
#define HETRUN_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  decl = std::move(tmp).value()
