// Error objects, the version query and string release.
#include <cstdlib>
#include <new>

#include "c_api_internal.h"

namespace hetrun::capi {
namespace {
// Returned when even the error cannot be allocated; hetrun_error_release never frees it.
hetrun_error g_out_of_memory{HETRUN_ERROR_OUT_OF_MEMORY, ""};
const char kOutOfMemoryMessage[] = "out of memory";
}  // namespace

hetrun_error_t* OutOfMemoryError() noexcept {
  return &g_out_of_memory;
}

hetrun_error_t* MakeError(uint32_t code, const std::string& message) noexcept {
  try {
    return new hetrun_error{code, message};
  } catch (...) {
    return OutOfMemoryError();
  }
}

hetrun_error_t* MakeError(uint32_t code, const char* where, const char* what) noexcept {
  try {
    return new hetrun_error{code, std::string(where) + ": " + what};
  } catch (...) {
    return OutOfMemoryError();
  }
}

}  // namespace hetrun::capi

extern "C" {

uint32_t hetrun_error_code(const hetrun_error_t* error) {
  return error == nullptr ? HETRUN_ERROR_OK : error->code;
}

const char* hetrun_error_message(const hetrun_error_t* error) {
  if (error == nullptr) return "";
  if (error == hetrun::capi::OutOfMemoryError()) return hetrun::capi::kOutOfMemoryMessage;
  return error->message.c_str();
}

void hetrun_error_release(hetrun_error_t* error) {
  if (error != hetrun::capi::OutOfMemoryError()) delete error;
}

uint32_t hetrun_get_api_version(void) {
  return HETRUN_API_VERSION;
}

void hetrun_string_release(char* text) {
  std::free(text);
}

}  // extern "C"
